"""The five roles (pure: no database or web imports)."""

from enum import StrEnum


class Role(StrEnum):
    inspector = "inspector"      # 督查员
    dispatcher = "dispatcher"    # 派遣员 (创城办 / 指挥中心)
    unit_staff = "unit_staff"    # 责任单位人员
    leader = "leader"            # 领导 (read-only)
    admin = "admin"


SEES_ALL_TICKETS = frozenset({Role.inspector, Role.dispatcher, Role.leader, Role.admin})
