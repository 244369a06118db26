return require("redwire_native").sentinel
