using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>Round-trip time from a reception report (RFC 3550 section 6.4.1).</summary>
public static class RoundTripTime
{
    /// <summary>The middle 32 bits of a 64-bit NTP timestamp (16.16 seconds), as LSR carries it.</summary>
    public static uint Middle32(ulong ntp) => (uint)(ntp >> 16);

    /// <summary>
    /// RTT = A - LSR - DLSR, all in units of 1/65536 s, where A is the middle 32 bits of the NTP time the report arrived.
    /// None when LSR is zero (no sender report received yet) or the result is negative (clock steps).
    /// </summary>
    public static Option<TimeSpan> FromReport(uint arrivalMiddle32, uint lastSenderReport, uint delaySinceLastSenderReport)
    {
        if (lastSenderReport == 0) return None;
        var units = unchecked((int)(arrivalMiddle32 - lastSenderReport - delaySinceLastSenderReport));
        if (units < 0) return None;
        return TimeSpan.FromTicks(units * TimeSpan.TicksPerSecond / 65536);
    }
}
