"""Tests of the embedded CCC simulator."""
