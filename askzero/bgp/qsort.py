"""OpenBSD's libc qsort, reproduced because bgpd prints neighbors in the order it leaves them.

bgpd sorts its peers by group id only; qsort is not stable, so which of several ungrouped
neighbors comes first depends on the exact algorithm (Bentley and McIlroy's, as in OpenBSD).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def bsd_qsort(a: list[T], cmp: Callable[[T, T], int]) -> None:
    """OpenBSD's qsort (Bentley-McIlroy), in place; its order for equal keys matters here."""
    def swap(i: int, j: int) -> None:
        a[i], a[j] = a[j], a[i]

    def med3(i: int, j: int, k: int) -> int:
        if cmp(a[i], a[j]) < 0:
            return j if cmp(a[j], a[k]) < 0 else (k if cmp(a[i], a[k]) < 0 else i)
        return j if cmp(a[j], a[k]) > 0 else (i if cmp(a[i], a[k]) < 0 else k)

    def sort(lo: int, n: int) -> None:
        while True:
            if n < 7:
                for pm in range(lo + 1, lo + n):
                    pl = pm
                    while pl > lo and cmp(a[pl - 1], a[pl]) > 0:
                        swap(pl, pl - 1)
                        pl -= 1
                return
            pm = lo + n // 2
            if n > 7:
                pl, pn = lo, lo + n - 1
                if n > 40:
                    d = n // 8
                    pl = med3(pl, pl + d, pl + 2 * d)
                    pm = med3(pm - d, pm, pm + d)
                    pn = med3(pn - 2 * d, pn - d, pn)
                pm = med3(pl, pm, pn)
            swap(lo, pm)
            pa = pb = lo + 1
            pc = pd = lo + n - 1
            while True:
                while pb <= pc:
                    r = cmp(a[pb], a[lo])
                    if r > 0:
                        break
                    if r == 0:
                        swap(pa, pb)
                        pa += 1
                    pb += 1
                while pb <= pc:
                    r = cmp(a[pc], a[lo])
                    if r < 0:
                        break
                    if r == 0:
                        swap(pc, pd)
                        pd -= 1
                    pc -= 1
                if pb > pc:
                    break
                swap(pb, pc)
                pb += 1
                pc -= 1
            pn = lo + n
            r = min(pa - lo, pb - pa)
            for k in range(r):
                swap(lo + k, pb - r + k)
            r = min(pd - pc, pn - pd - 1)
            for k in range(r):
                swap(pb + k, pn - r + k)
            left, right = pb - pa, pd - pc
            if left > 1:
                sort(lo, left)
            if right <= 1:
                return
            lo, n = pn - right, right

    sort(0, len(a))
