"""One conversation: the dialogue manager, its state, the prompts it can make, their phrasing, replay."""
