return require("redwire_native").redis
