print("triage: todo")
