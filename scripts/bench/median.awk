# SPDX-License-Identifier: GPL-2.0
# median(s): the median of the space-separated numbers in s, "" if none;
# sets the globals lo and hi to the smallest and largest.  Used with
# "awk -f median.awk -f -" by the benchmark summaries.
function median(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	if (!n)
		return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
