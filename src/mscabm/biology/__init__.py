"""Biology: cell types, states, fields, rules and their parameters, as data with sources."""
