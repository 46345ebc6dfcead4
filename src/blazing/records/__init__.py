"""Players' records: stats, ratings, leaderboards and replays, built on game history."""
