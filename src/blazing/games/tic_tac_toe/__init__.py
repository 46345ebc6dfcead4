"""Tic Tac Toe: two players, a match of games on a 3x3 board; first to 5 game wins."""
