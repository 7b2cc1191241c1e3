"""The shop's read views: their SQL, how a publish refreshes what changed, the customer
scores and predictions in them, and the jobs that rebuild them whole."""
