"""The seeded demo data set, by table family (contacts, incidents, major, feedback), and
demo_project, which lays out a runnable demo folder from the installed package."""
