"""Where outbound messages may be sent: public addresses, and internal ones only where the operator named them.

A channel's URL is called by the server itself, so an admin account (or whoever holds one) could otherwise point
it at the server's loopback, the cloud's metadata service (169.254.169.254) or the intranet, and read the
answers back from the delivery log. A host inside the government network (a private 政务微信, an SMS gateway)
is allowed by naming it, or its network, in XUNCHA_NOTIFY_PRIVATE_HOSTS.

Checked twice: the URL's host when it is saved, when it is an address (or `localhost`), so the admin hears at
once; every address the host resolves to just before each send, since a name can point anywhere. The send then
goes to the address checked (`route`: the host's name kept in the Host header and for TLS), not to whatever the
name resolves to a moment later (a name answering a public address to the check and 127.0.0.1 to the
connection, DNS rebinding). Behind an egress proxy (HTTPS_PROXY, …) the proxy connects, and its rules decide.
"""

import ipaddress
import socket
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.core.config import get_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedTarget(ValueError):
    """The URL's host is this machine, link-local or an intranet address the operator has not allowed."""

    def __init__(self, host: str):
        super().__init__(f"不能发往本机或内网地址 {host}（需由运维在 XUNCHA_NOTIFY_PRIVATE_HOSTS 中放行） "
                         f"{host} is a loopback, link-local or private address; the operator may allow it in "
                         f"XUNCHA_NOTIFY_PRIVATE_HOSTS")


def _allowed() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names, networks = set(), []
    for entry in get_settings().notify_private_hosts.split(","):
        if not (entry := entry.strip().lower()):
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry)
    return names, networks


def _literal(host: str) -> Address | None:
    """The address a host names by itself, in any form a resolver accepts (127.1, 0x7f000001, 2130706433)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.ip_address(socket.inet_aton(host))
    except OSError:
        return None


_NAT64 = int(ipaddress.IPv6Address("64:ff9b::")) >> 32


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to its network: mapped (::ffff:a.b.c.d), 6to4 (2002::/16), Teredo,
    NAT64 (64:ff9b::/96) or the old IPv4-compatible form (::a.b.c.d), which Python counts as global."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    value = int(address)
    if value >> 32 in (_NAT64, 0) and value > 1:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and (inner := _embedded_ipv4(address)) is not None:
        if not _public(inner):
            return False
    return address.is_global and not address.is_multicast


def _permitted(address: Address, networks) -> bool:
    return _public(address) or any(address in network for network in networks)


# Dots a resolver reads as dots (IDNA maps the ideographic and full-width ones): 127。0。0。1 is 127.0.0.1.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def check_saved(url: str) -> None:
    """When a channel is saved: refuse a URL whose host is an address (or localhost) it may not reach, however
    written (a trailing dot, full-width dots)."""
    host = (urlsplit(url).hostname or "").lower().translate(_DOTS).rstrip(".")
    names, networks = _allowed()
    if host in names:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise BlockedTarget(host)
    if (address := _literal(host)) is not None and not _permitted(address, networks):
        raise BlockedTarget(host)


class Unresolvable(OSError):
    """The host's name does not resolve now: retried, as a refused connection is (a DNS fault may pass)."""


@dataclass(frozen=True)
class Route:
    """How to send to a checked URL: `url` with its host replaced by the address checked, the host's name as
    the Host header and (https) as the name TLS checks the certificate against."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)
    trust_env: bool = False


def _through_proxy(scheme: str, host: str) -> bool:
    return bool(urllib.request.getproxies().get(scheme)) and not urllib.request.proxy_bypass(host)


def route(url: str) -> Route:
    """Just before a send: every address the host resolves to must be allowed, and the send goes to the first
    IPv4 one of them (else the first). A host the operator named (XUNCHA_NOTIFY_PRIVATE_HOSTS) and a send through
    an egress proxy are left to their resolver."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    names, networks = _allowed()
    if host in names:
        return Route(url, trust_env=True)
    check_saved(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"无法解析 {host} cannot resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for address in addresses:
        if not _permitted(address, networks):
            raise BlockedTarget(host)
    if _through_proxy(parts.scheme, host):
        return Route(url, trust_env=True)
    # IPv4 first: a resolver answers AAAA records to a server that may have no IPv6 route at all, and one
    # address is tried here, where a plain connection would have tried each.
    first = next((a for a in addresses if a.version == 4), addresses[0])
    pinned = f"[{first}]" if first.version == 6 else str(first)
    netloc = f"{pinned}:{parts.port}" if parts.port else pinned
    return Route(parts._replace(netloc=netloc).geturl(), headers={"Host": parts.netloc.rsplit("@", 1)[-1]},
                 extensions={"sni_hostname": host} if parts.scheme == "https" else {})
