return require("redwire_native").lev
