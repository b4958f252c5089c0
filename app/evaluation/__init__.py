"""实地测评: evaluation sites (测评点位), versioned checklists (测评细则) and unannounced rounds (督查任务)."""
