"""智能建议: the category and the lead unit a new case probably needs, learnt from the county's own closed
cases (`pingan train`), offered at intake and dispatch as a hint the dispatcher may take or leave."""
