"""The default two-level category taxonomy (parent -> leaves), seeded for every new user.

The SQL seed in ``supabase/migrations/20261121000000_foundation.sql`` mirrors it and the demo
data generator reads it from here. The categorizer's built-in prior (``ml.prior``, which does not
import core) keeps the same leaves in the same order; tests keep all three equal.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

DEFAULT_TAXONOMY: dict[str, list[str]] = {
    "Income": ["Salary", "Interest & Dividends", "Refunds", "Other Income"],
    "Housing": ["Rent & Mortgage", "Utilities", "Home Insurance", "Home Maintenance"],
    "Food": ["Groceries", "Restaurants", "Coffee & Snacks", "Takeaway & Delivery"],
    "Transport": ["Fuel", "Public Transport", "Taxi & Rideshare", "Car Maintenance",
                  "Parking & Tolls"],
    "Bills & Subscriptions": ["Phone & Internet", "Streaming", "Software", "Memberships"],
    "Shopping": ["Clothing", "Electronics", "Household", "Online Shopping"],
    "Health": ["Pharmacy", "Doctor & Dentist", "Health Insurance", "Fitness"],
    "Entertainment": ["Events & Culture", "Hobbies", "Games"],
    "Travel": ["Flights", "Accommodation", "Holiday Activities"],
    "Education": ["Tuition", "Books & Courses"],
    "Personal Care": ["Hair & Beauty"],
    "Family": ["Childcare", "Kids Activities", "Pets"],
    "Gifts & Donations": ["Gifts", "Charity"],
    "Fees & Charges": ["Bank Fees", "Interest Charges"],
    "Cash": ["ATM Withdrawal"],
    "Taxes": ["Income Tax", "Other Taxes"],
    "Loans": ["Loan Repayment"],
    "Transfers": ["Between Accounts", "Credit Card Payment", "Savings & Investments"],
}
CATEGORY_PARENT = {leaf: parent for parent, leaves in DEFAULT_TAXONOMY.items() for leaf in leaves}
