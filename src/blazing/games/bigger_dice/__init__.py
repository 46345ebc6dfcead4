"""Bigger Dice: two players, higher roll wins the round, first to 10 wins."""
