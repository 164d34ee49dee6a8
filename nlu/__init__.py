"""Understanding user turns: meaning types, rule understanding, the trained model, entity linking."""
