return require("redwire_native").connector
