"""Benchmark harness (issue #6): ``blazing bench --help``.

Scenarios (``latency``, ``games``, ``connections``, ``churn``) run from a
multi-process load generator against a spawned (or given) server and, in the
same run, against raw aiohttp/picows baselines that answer with frames of the
same shapes and sizes, so every figure comes with its ratio to that ceiling.
"""
