namespace Functional.WebRtc.Core.Srtp;

/// <summary>
/// The receiver's replay list (RFC 3711 3.3.2) as a sliding window over packet indices: an index is fresh when it is
/// above the highest accepted index, or within <see cref="Size"/> below it and not yet seen.
/// A circular bitmap keyed by index mod capacity; allocated once, no allocation per packet. Mutable scratch.
/// </summary>
internal sealed class SrtpReplayWindow
{
    private readonly ulong[] _bits;
    private readonly ulong _mask;
    private bool _any;

    public SrtpReplayWindow(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), "replay window must hold at least one index");
        Size = size;
        // Capacity: a power of two of at least size + 1 bits, so the highest index and Size older ones never collide.
        int capacity = 64;
        while (capacity < size + 1) capacity <<= 1;
        _bits = new ulong[capacity / 64];
        _mask = (ulong)capacity - 1;
    }

    public int Size { get; }

    /// <summary>The highest index accepted so far (meaningless before the first).</summary>
    public ulong Highest { get; private set; }

    public bool IsEmpty => !_any;

    /// <summary>True when <paramref name="index"/> may be accepted (new, or in the window and unseen).</summary>
    public bool IsFresh(ulong index)
    {
        if (!_any || index > Highest) return true;
        ulong age = Highest - index;
        if (age >= (ulong)Size) return false;
        return !Get(index);
    }

    /// <summary>Marks <paramref name="index"/> seen, sliding the window when it is the new highest. Call after authentication.</summary>
    public void Accept(ulong index)
    {
        if (!_any)
        {
            _any = true;
            Highest = index;
            Set(index);
            return;
        }
        if (index > Highest)
        {
            ulong advance = index - Highest;
            ulong capacity = _mask + 1;
            if (advance >= capacity) Array.Clear(_bits);
            else for (ulong i = Highest + 1; i <= index; i++) Clear(i);
            Highest = index;
        }
        Set(index);
    }

    private bool Get(ulong index) { ulong b = index & _mask; return (_bits[b >> 6] & (1UL << (int)(b & 63))) != 0; }
    private void Set(ulong index) { ulong b = index & _mask; _bits[b >> 6] |= 1UL << (int)(b & 63); }
    private void Clear(ulong index) { ulong b = index & _mask; _bits[b >> 6] &= ~(1UL << (int)(b & 63)); }
}
