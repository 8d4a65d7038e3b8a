package regate.lib.severity_test

import data.regate.lib.severity

test_success_order_is_anchores if {
	names := ["unknown", "negligible", "low", "medium", "high", "critical"]
	every i, name in names {
		severity.rank[name] == i
	}
}

test_fail_unknown_name_has_no_rank if {
	every name in ["Critical", "moderate", ""] {
		not severity.rank[name]
	}
}
