namespace Functional.WebRtc.Core.Dtls;

/// <summary>
/// The anti-replay window of one epoch (RFC 6347 section 4.1.2.6): the highest authenticated sequence number and a
/// 64-entry bitmap of it and the 63 below it. A record is fresh when it is above the highest, or in the window and
/// not yet seen; older ones are dropped. Check with <see cref="IsFresh"/> before decrypting, and
/// <see cref="Accept"/> only after the record authenticated (a forged record must not move the window).
/// </summary>
public readonly record struct DtlsReplayWindow(bool Any, ulong Highest, ulong Bitmap)
{
    public const int Size = 64;

    public static DtlsReplayWindow Empty => default;

    public bool IsFresh(ulong sequence)
    {
        if (!Any || sequence > Highest) return true;
        var age = Highest - sequence;
        return age < Size && (Bitmap & (1UL << (int)age)) == 0;
    }

    /// <summary>The window after accepting <paramref name="sequence"/> (bit 0 is the highest).</summary>
    public DtlsReplayWindow Accept(ulong sequence)
    {
        if (!Any) return new DtlsReplayWindow(true, sequence, 1UL);
        if (sequence > Highest)
        {
            var shift = sequence - Highest;
            var bitmap = shift >= Size ? 0UL : Bitmap << (int)shift;
            return new DtlsReplayWindow(true, sequence, bitmap | 1UL);
        }
        var age = Highest - sequence;
        return age < Size ? this with { Bitmap = Bitmap | (1UL << (int)age) } : this;
    }
}
