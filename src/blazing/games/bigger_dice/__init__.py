"""Bigger Dice: 2-10 players roll in turn; the single highest roll of a round scores a
point; first to 10 wins."""
