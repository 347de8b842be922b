"""Mogi: practise deep-learning interview questions."""
