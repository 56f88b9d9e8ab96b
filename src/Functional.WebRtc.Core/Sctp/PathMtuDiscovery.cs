using System.Buffers.Binary;
using LanguageExt;

namespace Functional.WebRtc.Core.Sctp;

/// <summary>Phases of datagram packetization layer PMTU discovery (RFC 8899 section 5.2).</summary>
public enum PmtuPhase
{
    /// <summary>Not running: packets stay at the base size.</summary>
    Disabled,
    /// <summary>Confirming BASE_PLPMTU (after a black hole).</summary>
    Base,
    /// <summary>Probing larger sizes.</summary>
    Searching,
    /// <summary>Done until the raise timer runs out (PMTU_RAISE_TIMER).</summary>
    SearchComplete,
    /// <summary>Even the base size went unconfirmed: stay at the base size and try again later.</summary>
    Error,
}

/// <summary>Settings of PLPMTUD (RFC 8899 section 5.1).</summary>
/// <param name="BaseMtu">BASE_PLPMTU (and MIN_PLPMTU): the SCTP packet size used before any probe is confirmed.</param>
/// <param name="MaxMtu">MAX_PLPMTU: the largest SCTP packet to try (over DTLS, at most one record's 2^14 bytes of plaintext).</param>
/// <param name="ProbeTimeout">PROBE_TIMER: how long a probe may go unanswered before it counts as lost.</param>
/// <param name="MaxProbes">MAX_PROBES: lost probes of one size before that size counts as too big.</param>
/// <param name="RaiseTimeout">PMTU_RAISE_TIMER: after a search completes (or fails), when to look for a larger size again.</param>
/// <param name="Granularity">The search stops once the confirmed and the failed size are this close (bytes).</param>
/// <param name="BlackHoleT3Expiries">Consecutive retransmission timeouts, without any acknowledged data, that mean the current size has become a black hole (RFC 8899 section 4.3).</param>
public sealed record PmtuConfig(int BaseMtu = 1200, int MaxMtu = 16384, TimeSpan ProbeTimeout = default, int MaxProbes = 3,
    TimeSpan RaiseTimeout = default, int Granularity = 64, int BlackHoleT3Expiries = 2)
{
    /// <summary>PROBE_TIMER (1 s when not set: RFC 8899 section 5.1.1 says it MUST NOT be smaller).</summary>
    public TimeSpan ProbeTimer => ProbeTimeout > TimeSpan.Zero ? ProbeTimeout : TimeSpan.FromSeconds(1);
    /// <summary>PMTU_RAISE_TIMER (600 s when not set, RFC 8899 section 5.1.1).</summary>
    public TimeSpan RaiseTimer => RaiseTimeout > TimeSpan.Zero ? RaiseTimeout : TimeSpan.FromSeconds(600);
}

/// <summary>Facts for the PLPMTUD machine; time is passed in.</summary>
public abstract record PmtuInput(TimeSpan At)
{
    /// <summary>The path may be probed (the association is established).</summary>
    public sealed record Start(TimeSpan At) : PmtuInput(At);
    /// <summary>The peer acknowledged probe <paramref name="Id"/> (a HEARTBEAT ACK echoing the probe's info).</summary>
    public sealed record ProbeAcked(TimeSpan At, uint Id) : PmtuInput(At);
    /// <summary>The passing of time: probe and raise timers.</summary>
    public sealed record Tick(TimeSpan At) : PmtuInput(At);
    /// <summary>A retransmission timeout of data (T3-rtx): a hint that packets of the current size may be lost.</summary>
    public sealed record T3Expired(TimeSpan At) : PmtuInput(At);
    /// <summary>New data was acknowledged: packets of the current size get through.</summary>
    public sealed record DataAcknowledged(TimeSpan At) : PmtuInput(At);
}

/// <summary>What the PLPMTUD machine asks for.</summary>
public abstract record PmtuOutput
{
    /// <summary>Send a probe packet of exactly <paramref name="Size"/> bytes (HEARTBEAT + PAD), carrying <paramref name="Id"/>.</summary>
    public sealed record SendProbe(uint Id, int Size) : PmtuOutput;
    /// <summary>The usable packet size changed.</summary>
    public sealed record MtuChanged(int Mtu) : PmtuOutput;
}

/// <summary>
/// Packetization layer path MTU discovery for SCTP over DTLS (RFC 8899, with SCTP's probes of section 6.2: a
/// HEARTBEAT padded by a PAD chunk (RFC 4820), confirmed by the HEARTBEAT ACK). A pure machine: state and input in,
/// state and requests out. The search first tries MAX_PLPMTU (a loopback or LAN path often carries it), then halves
/// the interval between the confirmed size and the smallest failed one. A size counts as failed after MAX_PROBES lost
/// probes; one lost probe keeps the current size. A black hole (data at the current size keeps timing out) drops
/// back to the base size, which is confirmed again before the search resumes below the size that failed.
/// Plpmtu is the confirmed size in use (PLPMTU); ProbedSize the size being probed (PROBED_SIZE, 0 when none);
/// ProbeCount the probes of it sent (PROBE_COUNT); FailedSize the smallest size known not to get through (MAX_PLPMTU + 1 when none).
/// </summary>
public sealed record PathMtuDiscovery(
    PmtuConfig Config,
    PmtuPhase Phase,
    int Plpmtu,
    int ProbedSize,
    int ProbeCount,
    int FailedSize,
    uint NextProbeId,
    uint OutstandingProbe,
    TimeSpan? ProbeTimerAt,
    TimeSpan? RaiseTimerAt,
    int T3Expiries)
{
    /// <summary>A machine that never probes: the packet size stays at <paramref name="baseMtu"/>.</summary>
    public static PathMtuDiscovery Disabled(int baseMtu) =>
        new(new PmtuConfig(baseMtu, baseMtu), PmtuPhase.Disabled, baseMtu, 0, 0, baseMtu + 1, 1, 0, null, null, 0);

    /// <summary>A machine waiting for <see cref="PmtuInput.Start"/>, at the base size.</summary>
    public static PathMtuDiscovery Create(PmtuConfig config)
    {
        var max = Math.Max(config.BaseMtu, config.MaxMtu & ~3);
        config = config with { MaxMtu = max };
        return new(config, PmtuPhase.Disabled, config.BaseMtu, 0, 0, max + 1, 1, 0, null, null, 0);
    }

    /// <summary>The earliest timer, if any.</summary>
    public TimeSpan? NextTimer => (ProbeTimerAt, RaiseTimerAt) switch
    {
        ({ } p, { } r) => p < r ? p : r,
        ({ } p, null) => p,
        (null, { } r) => r,
        _ => null,
    };

    /// <summary>True once started with room to grow (MaxMtu above BaseMtu).</summary>
    public bool Running => Phase != PmtuPhase.Disabled;

    public static Step<PathMtuDiscovery, PmtuOutput> Handle(PathMtuDiscovery s, PmtuInput input) => input switch
    {
        PmtuInput.Start st => s.Phase == PmtuPhase.Disabled && s.Config.MaxMtu > s.Config.BaseMtu ? s.OnStart(st.At) : Unchanged(s),
        PmtuInput.ProbeAcked a => s.OnProbeAcked(a.At, a.Id),
        PmtuInput.Tick t => s.OnTick(t.At),
        PmtuInput.T3Expired t => s.OnT3(t.At),
        PmtuInput.DataAcknowledged => s.T3Expiries == 0 ? Unchanged(s) : Unchanged(s with { T3Expiries = 0 }),
        _ => Unchanged(s),
    };

    private static Step<PathMtuDiscovery, PmtuOutput> Unchanged(PathMtuDiscovery s) => new(s, Seq<PmtuOutput>.Empty);

    /// <summary>
    /// The search starts with MAX_PLPMTU, sent twice back to back: a receiver that grows its buffer only when a datagram
    /// overflows it (ours start at 4 KiB) loses the first copy, but the second is already queued whole behind it, so a
    /// path that carries the size is confirmed at once instead of after a PROBE_TIMER. Either answer confirms the probe.
    /// </summary>
    private Step<PathMtuDiscovery, PmtuOutput> OnStart(TimeSpan at)
    {
        var step = (this with { Phase = PmtuPhase.Searching }).ProbeNext(at, []);
        var copies = step.Outputs.Filter(o => o is PmtuOutput.SendProbe);
        return new(step.State, step.Outputs.Concat(copies));
    }

    private Step<PathMtuDiscovery, PmtuOutput> OnProbeAcked(TimeSpan at, uint id)
    {
        if (ProbedSize == 0 || id != OutstandingProbe) return Unchanged(this); // late or forged: ignored (RFC 8899 4.1)
        var outputs = new List<PmtuOutput>();
        var confirmed = ProbedSize;
        var next = this with { ProbedSize = 0, ProbeCount = 0, ProbeTimerAt = null, T3Expiries = 0 };
        if (confirmed != Plpmtu) outputs.Add(new PmtuOutput.MtuChanged(confirmed));
        next = next with { Plpmtu = confirmed };
        // Base confirmed again (after a black hole or an error): search again, below the size that failed.
        if (Phase is PmtuPhase.Base or PmtuPhase.Error) next = next with { Phase = PmtuPhase.Searching, RaiseTimerAt = null };
        return next.ProbeNext(at, outputs);
    }

    private Step<PathMtuDiscovery, PmtuOutput> OnTick(TimeSpan at)
    {
        var s = this;
        var outputs = new List<PmtuOutput>();
        if (s.ProbeTimerAt is { } p && p <= at)
        {
            // A probe went unanswered: the current size stays (a lost probe is not congestion, RFC 8899 4.6.1).
            if (s.ProbeCount < s.Config.MaxProbes) return s.SendProbe(at, s.ProbedSize, s.ProbeCount + 1, outputs);
            var failed = s.ProbedSize;
            s = s with { ProbedSize = 0, ProbeCount = 0, ProbeTimerAt = null };
            if (s.Phase is PmtuPhase.Base or PmtuPhase.Error)
                // Even BASE_PLPMTU went unconfirmed (RFC 8899 5.2 ERROR): keep it (there is nothing smaller) and retry later.
                return new(s with { Phase = PmtuPhase.Error, RaiseTimerAt = at + s.Config.RaiseTimer }, outputs.ToSeq());
            s = s with { FailedSize = Math.Min(s.FailedSize, failed) };
            return s.ProbeNext(at, outputs);
        }
        if (s.RaiseTimerAt is { } r && r <= at)
        {
            s = s with { RaiseTimerAt = null };
            if (s.Phase == PmtuPhase.Error) return (s with { Phase = PmtuPhase.Base }).SendProbe(at, s.Config.BaseMtu, 1, outputs);
            // PMTU_RAISE_TIMER: the path may carry more now; forget what failed and search again.
            if (s.Phase == PmtuPhase.SearchComplete)
                return (s with { Phase = PmtuPhase.Searching, FailedSize = s.Config.MaxMtu + 1 }).ProbeNext(at, outputs);
        }
        return new(s, outputs.ToSeq());
    }

    private Step<PathMtuDiscovery, PmtuOutput> OnT3(TimeSpan at)
    {
        if (Phase == PmtuPhase.Disabled || Plpmtu <= Config.BaseMtu) return Unchanged(this);
        var count = T3Expiries + 1;
        if (count < Config.BlackHoleT3Expiries) return Unchanged(this with { T3Expiries = count });
        // A black hole (RFC 8899 4.3): packets of PLPMTU no longer get through. Back to BASE_PLPMTU at once, confirm it,
        // then search again below the size that stopped working.
        var s = this with
        {
            Phase = PmtuPhase.Base, FailedSize = Plpmtu, Plpmtu = Config.BaseMtu, T3Expiries = 0, RaiseTimerAt = null,
        };
        return s.SendProbe(at, Config.BaseMtu, 1, [new PmtuOutput.MtuChanged(Config.BaseMtu)]);
    }

    /// <summary>Probes the next size of the search, or completes the search.</summary>
    private Step<PathMtuDiscovery, PmtuOutput> ProbeNext(TimeSpan at, List<PmtuOutput> outputs)
    {
        var ceiling = Math.Min(FailedSize - 1, Config.MaxMtu) & ~3; // the largest size that may still get through
        var narrow = FailedSize <= Config.MaxMtu && ceiling - Plpmtu < Math.Max(4, Config.Granularity);
        if (Phase != PmtuPhase.Searching || ceiling <= Plpmtu || narrow)
        {
            var done = this with { Phase = PmtuPhase.SearchComplete, ProbedSize = 0, ProbeCount = 0, ProbeTimerAt = null, RaiseTimerAt = at + Config.RaiseTimer };
            return new(done, outputs.ToSeq());
        }
        // First the largest size not known to fail (one probe settles a path that carries it), then halve the interval.
        var size = FailedSize > Config.MaxMtu ? Config.MaxMtu : (Plpmtu + (FailedSize - Plpmtu) / 2) & ~3;
        size = Math.Clamp(size, Plpmtu + 4, ceiling);
        return SendProbe(at, size, 1, outputs);
    }

    private Step<PathMtuDiscovery, PmtuOutput> SendProbe(TimeSpan at, int size, int count, List<PmtuOutput> outputs)
    {
        var id = NextProbeId;
        outputs.Add(new PmtuOutput.SendProbe(id, size));
        var next = this with
        {
            ProbedSize = size, ProbeCount = count, OutstandingProbe = id, NextProbeId = id + 1 == 0 ? 1 : id + 1,
            ProbeTimerAt = at + Config.ProbeTimer,
        };
        return new(next, outputs.ToSeq());
    }

    // ---------------------------------------------------------------- probe packets

    /// <summary>The HEARTBEAT info of a probe: a marker, the probe id and its size (16 bytes; a plain heartbeat's is 8).</summary>
    public const int ProbeInfoLength = 16;
    private const uint ProbeMarker = 0x504D_5455; // "PMTU"

    /// <summary>Bytes of the SCTP common header, the HEARTBEAT chunk and the PAD chunk header: the smallest probe.</summary>
    public const int MinProbeSize = SctpPacket.HeaderLength + 4 + 4 + ProbeInfoLength + 4;

    /// <summary>Writes the HEARTBEAT info of probe <paramref name="id"/> of <paramref name="size"/> bytes.</summary>
    public static byte[] ProbeInfo(uint id, int size)
    {
        var info = new byte[ProbeInfoLength];
        BinaryPrimitives.WriteUInt32BigEndian(info, ProbeMarker);
        BinaryPrimitives.WriteUInt32BigEndian(info.AsSpan(4), id);
        BinaryPrimitives.WriteInt32BigEndian(info.AsSpan(8), size);
        return info;
    }

    /// <summary>Reads a probe's HEARTBEAT info back (from a HEARTBEAT ACK); false for an ordinary heartbeat.</summary>
    public static bool TryReadProbeInfo(ReadOnlySpan<byte> info, out uint id, out int size)
    {
        id = 0; size = 0;
        if (info.Length != ProbeInfoLength || BinaryPrimitives.ReadUInt32BigEndian(info) != ProbeMarker) return false;
        id = BinaryPrimitives.ReadUInt32BigEndian(info[4..]);
        size = BinaryPrimitives.ReadInt32BigEndian(info[8..]);
        return true;
    }

    /// <summary>
    /// A probe packet of exactly <paramref name="size"/> bytes (a multiple of 4, at least <see cref="MinProbeSize"/>):
    /// the common header, a HEARTBEAT with the probe's info, and a PAD chunk (RFC 4820) filling the rest.
    /// </summary>
    public static byte[] WriteProbePacket(ushort sourcePort, ushort destinationPort, uint verificationTag, uint id, int size, bool zeroChecksum)
    {
        size = Math.Max(MinProbeSize, size & ~3);
        var packet = new byte[size];
        var span = packet.AsSpan();
        SctpPacket.WriteHeader(span, sourcePort, destinationPort, verificationTag);
        var heartbeat = new SctpChunk.Heartbeat(ProbeInfo(id, size));
        heartbeat.WriteTo(span[SctpPacket.HeaderLength..]);
        var o = SctpPacket.HeaderLength + heartbeat.PaddedLength;
        new SctpChunk.Pad(size - o - 4).WriteTo(span[o..]);
        SctpPacket.Seal(span, zeroChecksum);
        return packet;
    }
}
