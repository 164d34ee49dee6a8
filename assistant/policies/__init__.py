"""Run-time dialogue policies: the rules, the learned policy (numpy arrays), and where shipped ones live."""
