/**
 * @module The key a per-address budget (logins, registrations, server joins) is kept under. One IPv6 host usually holds
 * a whole /64 (2^64 addresses), so budgets per address would be budgets per attempt there: IPv6 is
 * grouped by its /64, and IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as the IPv4 address.
 */

/** `1.2.3.4` → itself; `::ffff:1.2.3.4` → `1.2.3.4`; `2001:db8:1:2:a:b:c:d` → `2001:db8:1:2::/64`. */
export function budgetKey(remote: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)
  if (mapped) return mapped[1]!
  if (!remote.includes(':')) return remote
  const [head = '', tail] = remote.toLowerCase().split('::') as [string, string | undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  // `::` stands for as many zero groups as make eight in all.
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}
