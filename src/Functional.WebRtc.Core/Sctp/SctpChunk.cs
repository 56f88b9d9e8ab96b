using System.Buffers.Binary;
using LanguageExt;

namespace Functional.WebRtc.Core.Sctp;

/// <summary>Chunk type codes (RFC 9260 3.2, RFC 3758, RFC 6525, RFC 8260).</summary>
public static class ChunkType
{
    public const byte Data = 0, Init = 1, InitAck = 2, Sack = 3, Heartbeat = 4, HeartbeatAck = 5, Abort = 6, Shutdown = 7,
        ShutdownAck = 8, Error = 9, CookieEcho = 10, CookieAck = 11, ShutdownComplete = 14, IData = 64, ReConfig = 130,
        ForwardTsn = 192, IForwardTsn = 194, Pad = 132;
}

/// <summary>One gap ack block, offsets relative to the cumulative TSN ack (RFC 9260 3.3.4).</summary>
public readonly record struct GapAckBlock(ushort Start, ushort End);

/// <summary>A stream/SSN pair of a FORWARD TSN chunk (RFC 3758 3.2).</summary>
public readonly record struct StreamSsn(ushort StreamId, ushort Ssn);

/// <summary>An error cause (RFC 9260 3.3.10): code and raw information bytes.</summary>
public sealed record ErrorCause(ushort Code, byte[] Info)
{
    public const ushort InvalidStreamIdentifier = 1, MissingMandatoryParameter = 2, StaleCookie = 3, OutOfResource = 4,
        UnresolvableAddress = 5, UnrecognizedChunkType = 6, InvalidMandatoryParameter = 7, UnrecognizedParameters = 8,
        NoUserData = 9, CookieReceivedWhileShuttingDown = 10, RestartWithNewAddresses = 11, UserInitiatedAbort = 12,
        ProtocolViolation = 13;
    internal int Length => 4 + Info.Length;
    public bool Equals(ErrorCause? other) => other is not null && Code == other.Code && Info.AsSpan().SequenceEqual(other.Info);
    public override int GetHashCode() => HashCode.Combine(Code, Info.Length);
}

/// <summary>The parameters of INIT and INIT ACK that this stack understands, plus the rest kept raw (RFC 9260 3.3.2).</summary>
public sealed record InitParameters(
    byte[]? StateCookie = null,
    Arr<byte> SupportedExtensions = default,
    bool ForwardTsnSupported = false,
    uint? ZeroChecksumEdmid = null,
    Arr<(ushort Type, byte[] Value)> Unknown = default)
{
    public const ushort StateCookieType = 7, UnrecognizedParameterType = 8, SupportedExtensionsType = 0x8008,
        ForwardTsnSupportedType = 0xC000, ZeroChecksumAcceptableType = 0x8001, PaddingType = 0x8005;

    /// <summary>Whether the INIT or INIT ACK carries a Padding parameter (RFC 4820 section 4).</summary>
    public bool Padded => Unknown.Exists(u => u.Type == PaddingType);
    /// <summary>The error detection method id of DTLS for zero checksum (RFC 9653).</summary>
    public const uint EdmidDtls = 1;

    public bool Equals(InitParameters? o) => o is not null &&
        (StateCookie ?? []).AsSpan().SequenceEqual(o.StateCookie ?? []) && SupportedExtensions == o.SupportedExtensions &&
        ForwardTsnSupported == o.ForwardTsnSupported && ZeroChecksumEdmid == o.ZeroChecksumEdmid &&
        Unknown.Count == o.Unknown.Count && Unknown.Zip(o.Unknown).ForAll(p => p.Item1.Type == p.Item2.Type && p.Item1.Value.AsSpan().SequenceEqual(p.Item2.Value));
    public override int GetHashCode() => HashCode.Combine(ForwardTsnSupported, ZeroChecksumEdmid, SupportedExtensions);

    internal int Length
    {
        get
        {
            var n = 0;
            if (StateCookie is not null) n += Pad4(4 + StateCookie.Length);
            if (SupportedExtensions.Count > 0) n += Pad4(4 + SupportedExtensions.Count);
            if (ForwardTsnSupported) n += 4;
            if (ZeroChecksumEdmid is not null) n += 8;
            foreach (var u in Unknown) n += Pad4(4 + u.Value.Length);
            return n;
        }
    }

    internal static int Pad4(int n) => (n + 3) & ~3;

    /// <summary>The padding of the last parameter, which the chunk length leaves out (RFC 9260 3.2).</summary>
    internal int LastPadding
    {
        get
        {
            static int P(int n) => Pad4(n) - n;
            if (Unknown.Count > 0) return P(4 + Unknown[Unknown.Count - 1].Value.Length);
            if (ZeroChecksumEdmid is not null || ForwardTsnSupported) return 0;
            if (SupportedExtensions.Count > 0) return P(4 + SupportedExtensions.Count);
            return StateCookie is null ? 0 : P(4 + StateCookie.Length);
        }
    }

    internal void WriteTo(Span<byte> d)
    {
        var o = 0;
        void Param(Span<byte> d, ushort type, ReadOnlySpan<byte> value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(d[o..], type);
            BinaryPrimitives.WriteUInt16BigEndian(d[(o + 2)..], (ushort)(4 + value.Length));
            value.CopyTo(d[(o + 4)..]);
            d.Slice(o + 4 + value.Length, Pad4(4 + value.Length) - 4 - value.Length).Clear();
            o += Pad4(4 + value.Length);
        }
        if (StateCookie is not null) Param(d, StateCookieType, StateCookie);
        if (SupportedExtensions.Count > 0) Param(d, SupportedExtensionsType, SupportedExtensions.ToArray());
        if (ForwardTsnSupported) Param(d, ForwardTsnSupportedType, []);
        if (ZeroChecksumEdmid is { } edmid)
        {
            Span<byte> v = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v, edmid);
            Param(d, ZeroChecksumAcceptableType, v);
        }
        foreach (var u in Unknown) Param(d, u.Type, u.Value);
    }

    internal static bool TryParse(ReadOnlySpan<byte> s, out InitParameters p, out RtcError? error)
    {
        byte[]? cookie = null; var ext = Arr<byte>.Empty; var fwd = false; uint? edmid = null;
        var unknown = new List<(ushort, byte[])>();
        p = new InitParameters(); error = null;
        while (s.Length > 0)
        {
            if (s.Length < 4) { error = new RtcError.Syntax("SCTP parameter header truncated"); return false; }
            var type = BinaryPrimitives.ReadUInt16BigEndian(s);
            var len = BinaryPrimitives.ReadUInt16BigEndian(s[2..]);
            if (len < 4 || len > s.Length) { error = new RtcError.Syntax($"SCTP parameter {type} has bad length {len}"); return false; }
            var value = s[4..len];
            switch (type)
            {
                case StateCookieType: cookie = value.ToArray(); break;
                case SupportedExtensionsType: ext = new Arr<byte>(value.ToArray()); break;
                case ForwardTsnSupportedType: fwd = true; break;
                case ZeroChecksumAcceptableType when value.Length >= 4: edmid = BinaryPrimitives.ReadUInt32BigEndian(value); break;
                default: unknown.Add((type, value.ToArray())); break;
            }
            s = s[Math.Min(Pad4(len), s.Length)..];
        }
        p = new InitParameters(cookie, ext, fwd, edmid, new Arr<(ushort, byte[])>(unknown));
        return true;
    }
}

/// <summary>A RE-CONFIG parameter (RFC 6525 4).</summary>
public abstract record ReConfigParameter
{
    public const ushort OutgoingSsnResetRequestType = 13, IncomingSsnResetRequestType = 14, ResponseType = 16;

    /// <summary>Outgoing SSN Reset Request (RFC 6525 4.1): the sender resets its outgoing streams after LastAssignedTsn.</summary>
    public sealed record OutgoingSsnResetRequest(uint RequestSequence, uint ResponseSequence, uint LastAssignedTsn, Arr<ushort> Streams) : ReConfigParameter;
    /// <summary>Incoming SSN Reset Request (RFC 6525 4.2).</summary>
    public sealed record IncomingSsnResetRequest(uint RequestSequence, Arr<ushort> Streams) : ReConfigParameter;
    /// <summary>Re-configuration Response (RFC 6525 4.4).</summary>
    public sealed record Response(uint ResponseSequence, ReConfigResult Result, uint? SenderNextTsn = null, uint? ReceiverNextTsn = null) : ReConfigParameter;
    /// <summary>Any other parameter, kept raw.</summary>
    public sealed record Unknown(ushort Type, byte[] Value) : ReConfigParameter
    {
        public bool Equals(Unknown? o) => o is not null && Type == o.Type && Value.AsSpan().SequenceEqual(o.Value);
        public override int GetHashCode() => Type;
    }

    internal int Length => this switch
    {
        OutgoingSsnResetRequest r => 16 + 2 * r.Streams.Count,
        IncomingSsnResetRequest r => 8 + 2 * r.Streams.Count,
        Response r => r.SenderNextTsn is null ? 12 : 20,
        Unknown u => 4 + u.Value.Length,
        _ => 0,
    };

    internal void WriteTo(Span<byte> d)
    {
        var len = Length;
        d[..InitParameters.Pad4(len)].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)len);
        switch (this)
        {
            case OutgoingSsnResetRequest r:
                BinaryPrimitives.WriteUInt16BigEndian(d, OutgoingSsnResetRequestType);
                BinaryPrimitives.WriteUInt32BigEndian(d[4..], r.RequestSequence);
                BinaryPrimitives.WriteUInt32BigEndian(d[8..], r.ResponseSequence);
                BinaryPrimitives.WriteUInt32BigEndian(d[12..], r.LastAssignedTsn);
                for (var i = 0; i < r.Streams.Count; i++) BinaryPrimitives.WriteUInt16BigEndian(d[(16 + 2 * i)..], r.Streams[i]);
                break;
            case IncomingSsnResetRequest r:
                BinaryPrimitives.WriteUInt16BigEndian(d, IncomingSsnResetRequestType);
                BinaryPrimitives.WriteUInt32BigEndian(d[4..], r.RequestSequence);
                for (var i = 0; i < r.Streams.Count; i++) BinaryPrimitives.WriteUInt16BigEndian(d[(8 + 2 * i)..], r.Streams[i]);
                break;
            case Response r:
                BinaryPrimitives.WriteUInt16BigEndian(d, ResponseType);
                BinaryPrimitives.WriteUInt32BigEndian(d[4..], r.ResponseSequence);
                BinaryPrimitives.WriteUInt32BigEndian(d[8..], (uint)r.Result);
                if (r.SenderNextTsn is { } s)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(d[12..], s);
                    BinaryPrimitives.WriteUInt32BigEndian(d[16..], r.ReceiverNextTsn ?? 0);
                }
                break;
            case Unknown u:
                BinaryPrimitives.WriteUInt16BigEndian(d, u.Type);
                u.Value.CopyTo(d[4..]);
                break;
        }
    }

    internal static bool TryParse(ushort type, ReadOnlySpan<byte> v, out ReConfigParameter p)
    {
        static Arr<ushort> Streams(ReadOnlySpan<byte> s)
        {
            var a = new ushort[s.Length / 2];
            for (var i = 0; i < a.Length; i++) a[i] = BinaryPrimitives.ReadUInt16BigEndian(s[(2 * i)..]);
            return new Arr<ushort>(a);
        }
        p = new Unknown(type, v.ToArray());
        switch (type)
        {
            case OutgoingSsnResetRequestType when v.Length >= 12:
                p = new OutgoingSsnResetRequest(BinaryPrimitives.ReadUInt32BigEndian(v), BinaryPrimitives.ReadUInt32BigEndian(v[4..]),
                    BinaryPrimitives.ReadUInt32BigEndian(v[8..]), Streams(v[12..]));
                return true;
            case IncomingSsnResetRequestType when v.Length >= 4:
                p = new IncomingSsnResetRequest(BinaryPrimitives.ReadUInt32BigEndian(v), Streams(v[4..]));
                return true;
            case ResponseType when v.Length >= 16:
                p = new Response(BinaryPrimitives.ReadUInt32BigEndian(v), (ReConfigResult)BinaryPrimitives.ReadUInt32BigEndian(v[4..]),
                    BinaryPrimitives.ReadUInt32BigEndian(v[8..]), BinaryPrimitives.ReadUInt32BigEndian(v[12..]));
                return true;
            case ResponseType when v.Length >= 8:
                p = new Response(BinaryPrimitives.ReadUInt32BigEndian(v), (ReConfigResult)BinaryPrimitives.ReadUInt32BigEndian(v[4..]));
                return true;
            case OutgoingSsnResetRequestType or IncomingSsnResetRequestType or ResponseType:
                return false;
            default:
                return true;
        }
    }
}

/// <summary>Re-configuration results (RFC 6525 4.4).</summary>
public enum ReConfigResult : uint
{
    SuccessNothingToDo = 0, SuccessPerformed = 1, Denied = 2, ErrorWrongSsn = 3, ErrorRequestAlreadyInProgress = 4,
    ErrorBadSequenceNumber = 5, InProgress = 6,
}

/// <summary>
/// An SCTP chunk (RFC 9260 3.2) as a closed union. <see cref="Length"/> is the chunk length without padding;
/// <see cref="WriteTo"/> writes the chunk and its padding.
/// </summary>
public abstract record SctpChunk
{
    public abstract byte Type { get; }
    /// <summary>The chunk length field: header and value, without the final padding.</summary>
    public abstract int Length { get; }
    /// <summary>Bytes the chunk takes in a packet (padded to 4).</summary>
    public int PaddedLength => InitParameters.Pad4(Length);
    protected virtual byte Flags => 0;
    protected abstract void WriteValue(Span<byte> value);

    /// <summary>Writes the chunk (header, value, zero padding) to the start of <paramref name="d"/>. Value writers get the padded span.</summary>
    public void WriteTo(Span<byte> d)
    {
        var len = Length;
        d[0] = Type; d[1] = Flags;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)len);
        var padded = PaddedLength;
        WriteValue(d[4..padded]);
        d[len..padded].Clear();
    }

    /// <summary>DATA (RFC 9260 3.3.1). The payload is a slice of the packet it was parsed from (no copy).</summary>
    public sealed record Data(bool Unordered, bool Beginning, bool Ending, bool Immediate, uint Tsn, ushort StreamId, ushort Ssn, uint Ppid, ReadOnlyMemory<byte> Payload) : SctpChunk
    {
        public override byte Type => ChunkType.Data;
        public override int Length => 16 + Payload.Length;
        protected override byte Flags => DataFlags(Unordered, Beginning, Ending, Immediate);
        protected override void WriteValue(Span<byte> v)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v, Tsn);
            BinaryPrimitives.WriteUInt16BigEndian(v[4..], StreamId);
            BinaryPrimitives.WriteUInt16BigEndian(v[6..], Ssn);
            BinaryPrimitives.WriteUInt32BigEndian(v[8..], Ppid);
            Payload.Span.CopyTo(v[12..]);
        }
        public bool Equals(Data? o) => o is not null && Unordered == o.Unordered && Beginning == o.Beginning && Ending == o.Ending &&
            Immediate == o.Immediate && Tsn == o.Tsn && StreamId == o.StreamId && Ssn == o.Ssn && Ppid == o.Ppid && Payload.Span.SequenceEqual(o.Payload.Span);
        public override int GetHashCode() => HashCode.Combine(Tsn, StreamId, Ssn, Ppid, Payload.Length);
    }

    /// <summary>I-DATA (RFC 8260 2.1): message id and either PPID (first fragment) or fragment sequence number.</summary>
    public sealed record IData(bool Unordered, bool Beginning, bool Ending, bool Immediate, uint Tsn, ushort StreamId, uint MessageId, uint PpidOrFsn, ReadOnlyMemory<byte> Payload) : SctpChunk
    {
        public override byte Type => ChunkType.IData;
        public override int Length => 20 + Payload.Length;
        protected override byte Flags => DataFlags(Unordered, Beginning, Ending, Immediate);
        protected override void WriteValue(Span<byte> v)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v, Tsn);
            BinaryPrimitives.WriteUInt16BigEndian(v[4..], StreamId);
            BinaryPrimitives.WriteUInt16BigEndian(v[6..], 0);
            BinaryPrimitives.WriteUInt32BigEndian(v[8..], MessageId);
            BinaryPrimitives.WriteUInt32BigEndian(v[12..], PpidOrFsn);
            Payload.Span.CopyTo(v[16..]);
        }
        public bool Equals(IData? o) => o is not null && Unordered == o.Unordered && Beginning == o.Beginning && Ending == o.Ending &&
            Immediate == o.Immediate && Tsn == o.Tsn && StreamId == o.StreamId && MessageId == o.MessageId && PpidOrFsn == o.PpidOrFsn && Payload.Span.SequenceEqual(o.Payload.Span);
        public override int GetHashCode() => HashCode.Combine(Tsn, StreamId, MessageId, Payload.Length);
    }

    /// <summary>INIT (RFC 9260 3.3.2).</summary>
    public sealed record Init(uint InitiateTag, uint ARwnd, ushort OutboundStreams, ushort InboundStreams, uint InitialTsn, InitParameters Parameters) : SctpChunk
    {
        public override byte Type => ChunkType.Init;
        public override int Length => 20 + Parameters.Length - Parameters.LastPadding;
        protected override void WriteValue(Span<byte> v) => WriteInit(v, InitiateTag, ARwnd, OutboundStreams, InboundStreams, InitialTsn, Parameters);
    }

    /// <summary>INIT ACK (RFC 9260 3.3.3); the state cookie is a parameter.</summary>
    public sealed record InitAck(uint InitiateTag, uint ARwnd, ushort OutboundStreams, ushort InboundStreams, uint InitialTsn, InitParameters Parameters) : SctpChunk
    {
        public override byte Type => ChunkType.InitAck;
        public override int Length => 20 + Parameters.Length - Parameters.LastPadding;
        protected override void WriteValue(Span<byte> v) => WriteInit(v, InitiateTag, ARwnd, OutboundStreams, InboundStreams, InitialTsn, Parameters);
    }

    /// <summary>SACK (RFC 9260 3.3.4).</summary>
    public sealed record Sack(uint CumulativeTsnAck, uint ARwnd, Arr<GapAckBlock> GapAckBlocks, Arr<uint> DuplicateTsns) : SctpChunk
    {
        public override byte Type => ChunkType.Sack;
        public override int Length => 16 + 4 * GapAckBlocks.Count + 4 * DuplicateTsns.Count;
        protected override void WriteValue(Span<byte> v)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v, CumulativeTsnAck);
            BinaryPrimitives.WriteUInt32BigEndian(v[4..], ARwnd);
            BinaryPrimitives.WriteUInt16BigEndian(v[8..], (ushort)GapAckBlocks.Count);
            BinaryPrimitives.WriteUInt16BigEndian(v[10..], (ushort)DuplicateTsns.Count);
            var o = 12;
            foreach (var g in GapAckBlocks)
            {
                BinaryPrimitives.WriteUInt16BigEndian(v[o..], g.Start);
                BinaryPrimitives.WriteUInt16BigEndian(v[(o + 2)..], g.End);
                o += 4;
            }
            foreach (var t in DuplicateTsns) { BinaryPrimitives.WriteUInt32BigEndian(v[o..], t); o += 4; }
        }
    }

    /// <summary>HEARTBEAT (RFC 9260 3.3.5): the sender-specific heartbeat info parameter's value.</summary>
    public sealed record Heartbeat(byte[] Info) : SctpChunk
    {
        public override byte Type => ChunkType.Heartbeat;
        public override int Length => 8 + Info.Length;
        protected override void WriteValue(Span<byte> v) => WriteHeartbeatInfo(v, Info);
        public bool Equals(Heartbeat? o) => o is not null && Info.AsSpan().SequenceEqual(o.Info);
        public override int GetHashCode() => Info.Length;
    }

    /// <summary>HEARTBEAT ACK (RFC 9260 3.3.6): echoes the heartbeat info.</summary>
    public sealed record HeartbeatAck(byte[] Info) : SctpChunk
    {
        public override byte Type => ChunkType.HeartbeatAck;
        public override int Length => 8 + Info.Length;
        protected override void WriteValue(Span<byte> v) => WriteHeartbeatInfo(v, Info);
        public bool Equals(HeartbeatAck? o) => o is not null && Info.AsSpan().SequenceEqual(o.Info);
        public override int GetHashCode() => Info.Length;
    }

    /// <summary>ABORT (RFC 9260 3.3.7). T set: the verification tag is the one reflected from the peer.</summary>
    public sealed record Abort(bool TagReflected, Arr<ErrorCause> Causes) : SctpChunk
    {
        public override byte Type => ChunkType.Abort;
        public override int Length => 4 + CausesLength(Causes);
        protected override byte Flags => (byte)(TagReflected ? 1 : 0);
        protected override void WriteValue(Span<byte> v) => WriteCauses(v, Causes);
    }

    /// <summary>SHUTDOWN (RFC 9260 3.3.8).</summary>
    public sealed record Shutdown(uint CumulativeTsnAck) : SctpChunk
    {
        public override byte Type => ChunkType.Shutdown;
        public override int Length => 8;
        protected override void WriteValue(Span<byte> v) => BinaryPrimitives.WriteUInt32BigEndian(v, CumulativeTsnAck);
    }

    /// <summary>SHUTDOWN ACK (RFC 9260 3.3.9).</summary>
    public sealed record ShutdownAck : SctpChunk
    {
        public override byte Type => ChunkType.ShutdownAck;
        public override int Length => 4;
        protected override void WriteValue(Span<byte> v) { }
    }

    /// <summary>ERROR (RFC 9260 3.3.10).</summary>
    public sealed record Error(Arr<ErrorCause> Causes) : SctpChunk
    {
        public override byte Type => ChunkType.Error;
        public override int Length => 4 + CausesLength(Causes);
        protected override void WriteValue(Span<byte> v) => WriteCauses(v, Causes);
    }

    /// <summary>COOKIE ECHO (RFC 9260 3.3.11).</summary>
    public sealed record CookieEcho(byte[] Cookie) : SctpChunk
    {
        public override byte Type => ChunkType.CookieEcho;
        public override int Length => 4 + Cookie.Length;
        protected override void WriteValue(Span<byte> v) => Cookie.CopyTo(v);
        public bool Equals(CookieEcho? o) => o is not null && Cookie.AsSpan().SequenceEqual(o.Cookie);
        public override int GetHashCode() => Cookie.Length;
    }

    /// <summary>COOKIE ACK (RFC 9260 3.3.12).</summary>
    public sealed record CookieAck : SctpChunk
    {
        public override byte Type => ChunkType.CookieAck;
        public override int Length => 4;
        protected override void WriteValue(Span<byte> v) { }
    }

    /// <summary>SHUTDOWN COMPLETE (RFC 9260 3.3.13).</summary>
    public sealed record ShutdownComplete(bool TagReflected) : SctpChunk
    {
        public override byte Type => ChunkType.ShutdownComplete;
        public override int Length => 4;
        protected override byte Flags => (byte)(TagReflected ? 1 : 0);
        protected override void WriteValue(Span<byte> v) { }
    }

    /// <summary>FORWARD TSN (RFC 3758 3.2).</summary>
    public sealed record ForwardTsn(uint NewCumulativeTsn, Arr<StreamSsn> Streams) : SctpChunk
    {
        public override byte Type => ChunkType.ForwardTsn;
        public override int Length => 8 + 4 * Streams.Count;
        protected override void WriteValue(Span<byte> v)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v, NewCumulativeTsn);
            var o = 4;
            foreach (var s in Streams)
            {
                BinaryPrimitives.WriteUInt16BigEndian(v[o..], s.StreamId);
                BinaryPrimitives.WriteUInt16BigEndian(v[(o + 2)..], s.Ssn);
                o += 4;
            }
        }
    }

    /// <summary>RE-CONFIG (RFC 6525 3.1): one or two parameters.</summary>
    public sealed record ReConfig(Arr<ReConfigParameter> Parameters) : SctpChunk
    {
        public override byte Type => ChunkType.ReConfig;
        public override int Length
        {
            get
            {
                var n = 4;
                for (var i = 0; i < Parameters.Count; i++) n += i == Parameters.Count - 1 ? Parameters[i].Length : InitParameters.Pad4(Parameters[i].Length);
                return n;
            }
        }
        protected override void WriteValue(Span<byte> v)
        {
            var o = 0;
            foreach (var p in Parameters)
            {
                p.WriteTo(v[o..]);
                o += InitParameters.Pad4(p.Length);
            }
        }
    }

    /// <summary>A chunk type this stack does not know, kept raw; its two high type bits say what to do (RFC 9260 3.2).</summary>
    public sealed record Unknown(byte ChunkTypeCode, byte ChunkFlags, byte[] Value) : SctpChunk
    {
        public override byte Type => ChunkTypeCode;
        public override int Length => 4 + Value.Length;
        protected override byte Flags => ChunkFlags;
        protected override void WriteValue(Span<byte> v) => Value.CopyTo(v);
        /// <summary>00/01: stop processing the packet; 10/11: skip and continue.</summary>
        public bool SkipAndContinue => (ChunkTypeCode & 0x80) != 0;
        /// <summary>01/11: report it in an ERROR with an Unrecognized Chunk Type cause.</summary>
        public bool Report => (ChunkTypeCode & 0x40) != 0;
        public bool Equals(Unknown? o) => o is not null && ChunkTypeCode == o.ChunkTypeCode && ChunkFlags == o.ChunkFlags && Value.AsSpan().SequenceEqual(o.Value);
        public override int GetHashCode() => HashCode.Combine(ChunkTypeCode, Value.Length);
    }

    /// <summary>PAD (RFC 4820): <paramref name="PaddingLength"/> bytes of padding, written as zeros and ignored on receipt.
    /// It makes PLPMTUD probes of an exact size (RFC 8899 section 6.2.1).</summary>
    public sealed record Pad(int PaddingLength) : SctpChunk
    {
        public override byte Type => ChunkType.Pad;
        public override int Length => 4 + PaddingLength;
        protected override void WriteValue(Span<byte> v) => v.Clear();
    }

    internal static byte DataFlags(bool u, bool b, bool e, bool i) => (byte)((e ? 1 : 0) | (b ? 2 : 0) | (u ? 4 : 0) | (i ? 8 : 0));

    private static void WriteInit(Span<byte> v, uint tag, uint rwnd, ushort os, ushort mis, uint tsn, InitParameters p)
    {
        BinaryPrimitives.WriteUInt32BigEndian(v, tag);
        BinaryPrimitives.WriteUInt32BigEndian(v[4..], rwnd);
        BinaryPrimitives.WriteUInt16BigEndian(v[8..], os);
        BinaryPrimitives.WriteUInt16BigEndian(v[10..], mis);
        BinaryPrimitives.WriteUInt32BigEndian(v[12..], tsn);
        p.WriteTo(v[16..]);
    }

    private static void WriteHeartbeatInfo(Span<byte> v, byte[] info)
    {
        BinaryPrimitives.WriteUInt16BigEndian(v, 1);
        BinaryPrimitives.WriteUInt16BigEndian(v[2..], (ushort)(4 + info.Length));
        info.CopyTo(v[4..]);
    }

    private static int CausesLength(Arr<ErrorCause> causes)
    {
        var n = 0;
        for (var i = 0; i < causes.Count; i++) n += i == causes.Count - 1 ? causes[i].Length : InitParameters.Pad4(causes[i].Length);
        return n;
    }

    private static void WriteCauses(Span<byte> v, Arr<ErrorCause> causes)
    {
        var o = 0;
        foreach (var c in causes)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[o..], c.Code);
            BinaryPrimitives.WriteUInt16BigEndian(v[(o + 2)..], (ushort)c.Length);
            c.Info.CopyTo(v[(o + 4)..]);
            var padded = InitParameters.Pad4(c.Length);
            v.Slice(o + c.Length, padded - c.Length).Clear();
            o += padded;
        }
    }

    /// <summary>
    /// Parses one chunk (header and value, exactly its length field long).
    /// Never throws: malformed chunks give a Syntax error.
    /// </summary>
    internal static bool TryParse(ReadOnlyMemory<byte> chunkMemory, out SctpChunk chunk, out RtcError? error)
    {
        var s = chunkMemory.Span;
        var type = s[0]; var flags = s[1];
        var v = s[4..];
        chunk = null!; error = null;
        bool Fail(string what, out RtcError? e) { e = new RtcError.Syntax($"SCTP chunk {type}: {what}"); return false; }
        switch (type)
        {
            case ChunkType.Data:
                if (v.Length < 12) return Fail("DATA shorter than 16 bytes", out error);
                chunk = new Data((flags & 4) != 0, (flags & 2) != 0, (flags & 1) != 0, (flags & 8) != 0, BinaryPrimitives.ReadUInt32BigEndian(v),
                    BinaryPrimitives.ReadUInt16BigEndian(v[4..]), BinaryPrimitives.ReadUInt16BigEndian(v[6..]), BinaryPrimitives.ReadUInt32BigEndian(v[8..]),
                    chunkMemory[16..]);
                return true;
            case ChunkType.IData:
                if (v.Length < 16) return Fail("I-DATA shorter than 20 bytes", out error);
                chunk = new IData((flags & 4) != 0, (flags & 2) != 0, (flags & 1) != 0, (flags & 8) != 0, BinaryPrimitives.ReadUInt32BigEndian(v),
                    BinaryPrimitives.ReadUInt16BigEndian(v[4..]), BinaryPrimitives.ReadUInt32BigEndian(v[8..]), BinaryPrimitives.ReadUInt32BigEndian(v[12..]),
                    chunkMemory[20..]);
                return true;
            case ChunkType.Init or ChunkType.InitAck:
            {
                if (v.Length < 16) return Fail("INIT shorter than 20 bytes", out error);
                if (!InitParameters.TryParse(v[16..], out var p, out error)) return false;
                var tag = BinaryPrimitives.ReadUInt32BigEndian(v); var rwnd = BinaryPrimitives.ReadUInt32BigEndian(v[4..]);
                var os = BinaryPrimitives.ReadUInt16BigEndian(v[8..]); var mis = BinaryPrimitives.ReadUInt16BigEndian(v[10..]);
                var tsn = BinaryPrimitives.ReadUInt32BigEndian(v[12..]);
                chunk = type == ChunkType.Init ? new Init(tag, rwnd, os, mis, tsn, p) : new InitAck(tag, rwnd, os, mis, tsn, p);
                return true;
            }
            case ChunkType.Sack:
            {
                if (v.Length < 12) return Fail("SACK shorter than 16 bytes", out error);
                int gaps = BinaryPrimitives.ReadUInt16BigEndian(v[8..]), dups = BinaryPrimitives.ReadUInt16BigEndian(v[10..]);
                if (v.Length < 12 + 4 * (gaps + dups)) return Fail("SACK blocks exceed the chunk", out error);
                var g = new GapAckBlock[gaps];
                for (var i = 0; i < gaps; i++) g[i] = new GapAckBlock(BinaryPrimitives.ReadUInt16BigEndian(v[(12 + 4 * i)..]), BinaryPrimitives.ReadUInt16BigEndian(v[(14 + 4 * i)..]));
                var d = new uint[dups];
                for (var i = 0; i < dups; i++) d[i] = BinaryPrimitives.ReadUInt32BigEndian(v[(12 + 4 * gaps + 4 * i)..]);
                chunk = new Sack(BinaryPrimitives.ReadUInt32BigEndian(v), BinaryPrimitives.ReadUInt32BigEndian(v[4..]), new Arr<GapAckBlock>(g), new Arr<uint>(d));
                return true;
            }
            case ChunkType.Heartbeat or ChunkType.HeartbeatAck:
            {
                if (v.Length < 4) return Fail("HEARTBEAT without info parameter", out error);
                var plen = BinaryPrimitives.ReadUInt16BigEndian(v[2..]);
                if (plen < 4 || plen > v.Length) return Fail("bad heartbeat info length", out error);
                var info = v[4..plen].ToArray();
                chunk = type == ChunkType.Heartbeat ? new Heartbeat(info) : new HeartbeatAck(info);
                return true;
            }
            case ChunkType.Abort or ChunkType.Error:
            {
                if (!TryParseCauses(v, out var causes)) return Fail("bad error cause", out error);
                chunk = type == ChunkType.Abort ? new Abort((flags & 1) != 0, causes) : new Error(causes);
                return true;
            }
            case ChunkType.Shutdown:
                if (v.Length < 4) return Fail("SHUTDOWN shorter than 8 bytes", out error);
                chunk = new Shutdown(BinaryPrimitives.ReadUInt32BigEndian(v));
                return true;
            case ChunkType.ShutdownAck: chunk = new ShutdownAck(); return true;
            case ChunkType.CookieEcho: chunk = new CookieEcho(v.ToArray()); return true;
            case ChunkType.CookieAck: chunk = new CookieAck(); return true;
            case ChunkType.ShutdownComplete: chunk = new ShutdownComplete((flags & 1) != 0); return true;
            case ChunkType.ForwardTsn:
            {
                if (v.Length < 4) return Fail("FORWARD TSN shorter than 8 bytes", out error);
                var n = (v.Length - 4) / 4;
                var st = new StreamSsn[n];
                for (var i = 0; i < n; i++) st[i] = new StreamSsn(BinaryPrimitives.ReadUInt16BigEndian(v[(4 + 4 * i)..]), BinaryPrimitives.ReadUInt16BigEndian(v[(6 + 4 * i)..]));
                chunk = new ForwardTsn(BinaryPrimitives.ReadUInt32BigEndian(v), new Arr<StreamSsn>(st));
                return true;
            }
            case ChunkType.ReConfig:
            {
                var ps = new List<ReConfigParameter>();
                while (v.Length > 0)
                {
                    if (v.Length < 4) return Fail("RE-CONFIG parameter truncated", out error);
                    var pt = BinaryPrimitives.ReadUInt16BigEndian(v); var pl = BinaryPrimitives.ReadUInt16BigEndian(v[2..]);
                    if (pl < 4 || pl > v.Length) return Fail("RE-CONFIG parameter length", out error);
                    if (!ReConfigParameter.TryParse(pt, v[4..pl], out var p)) return Fail($"RE-CONFIG parameter {pt} too short", out error);
                    ps.Add(p);
                    v = v[Math.Min(InitParameters.Pad4(pl), v.Length)..];
                }
                chunk = new ReConfig(new Arr<ReConfigParameter>(ps));
                return true;
            }
            case ChunkType.Pad:
                chunk = new Pad(v.Length); // the padding is not looked at (nor copied)
                return true;
            default:
                chunk = new Unknown(type, flags, v.ToArray());
                return true;
        }
    }

    private static bool TryParseCauses(ReadOnlySpan<byte> v, out Arr<ErrorCause> causes)
    {
        var list = new List<ErrorCause>();
        causes = default;
        while (v.Length > 0)
        {
            if (v.Length < 4) return false;
            var code = BinaryPrimitives.ReadUInt16BigEndian(v); var len = BinaryPrimitives.ReadUInt16BigEndian(v[2..]);
            if (len < 4 || len > v.Length) return false;
            list.Add(new ErrorCause(code, v[4..len].ToArray()));
            v = v[Math.Min(InitParameters.Pad4(len), v.Length)..];
        }
        causes = new Arr<ErrorCause>(list);
        return true;
    }
}
