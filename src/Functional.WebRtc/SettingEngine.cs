using Functional.WebRtc.Core.Signaling;

namespace Functional.WebRtc;

/// <summary>The DTLS role this side takes when it answers (Pion's SettingEngine.SetAnsweringDTLSRole).</summary>
public enum AnsweringDtlsRole { Active, Passive }

/// <summary>
/// Settings beyond the W3C configuration (Pion's SettingEngine): codecs, DTLS answering role, which addresses ICE
/// gathers on, a fixed random seed for reproducible runs, and an event log to record every input.
/// </summary>
public sealed record SettingEngine
{
    /// <summary>The codecs and header extensions to negotiate.</summary>
    public MediaEngine MediaEngine { get; init; } = MediaEngine.Default;
    public AnsweringDtlsRole AnsweringDtlsRole { get; init; } = AnsweringDtlsRole.Active;
    /// <summary>A fixed seed for every random choice of the core (ICE credentials, SSRCs, tie-breakers); random when null.</summary>
    public ulong? Seed { get; init; }
    /// <summary>Where to write the event log (one JSON line per input); nothing is recorded when null.</summary>
    public TextWriter? EventLog { get; init; }
}
