"""Rendering: what people see. Views build (html text, keyboard rows); they never write."""
