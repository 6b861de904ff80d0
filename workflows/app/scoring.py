"""The ETL example's business logic: a plain Python function, testable on its own."""


def score_customers(customers: list[dict[str, str]]) -> list[dict[str, object]]:
    scored = []
    for row in customers:
        total = float(row["total"])
        tier = "gold" if total >= 200 else "silver" if total >= 100 else "bronze"
        scored.append({"id": int(row["id"]), "name": row["name"], "total": total, "tier": tier})
    print(f"scored {len(scored)} customers")
    return scored
