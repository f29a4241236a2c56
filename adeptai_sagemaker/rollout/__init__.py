"""Moving a module through its modes: live modes set by promote, the promotion gate, agreement between answers, budgets and the migration report."""
