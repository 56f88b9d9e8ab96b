using System.Buffers.Binary;
using System.Text;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>One RFC 8285 header-extension element.</summary>
public sealed record RtpExtension(byte Id, Bytes Data);

/// <summary>
/// An RTP packet as an immutable value (RFC 3550 section 5.1), for convenience off the hot path.
/// <see cref="ExtensionFormat"/> says how <see cref="Extensions"/> are laid out; with <see cref="RtpExtensionFormat.Other"/>
/// the block is kept raw in <see cref="RawExtension"/> under <see cref="RawExtensionProfile"/>.
/// </summary>
public sealed record RtpPacket(
    bool Marker,
    byte PayloadType,
    ushort SequenceNumber,
    uint Timestamp,
    uint Ssrc,
    Seq<uint> Csrcs,
    RtpExtensionFormat ExtensionFormat,
    Seq<RtpExtension> Extensions,
    Bytes Payload,
    byte PaddingSize = 0,
    ushort RawExtensionProfile = 0,
    Bytes RawExtension = default)
{
    public static RtpPacket Create(byte payloadType, ushort seq, uint timestamp, uint ssrc, Bytes payload, bool marker = false) =>
        new(marker, payloadType, seq, timestamp, ssrc, Seq<uint>(), RtpExtensionFormat.None, Seq<RtpExtension>(), payload);

    public RtpHeader Header => new(Marker, PayloadType, SequenceNumber, Timestamp, Ssrc);

    public static Either<RtcError, RtpPacket> Parse(ReadOnlySpan<byte> bytes) =>
        RtpPacketView.TryParse(bytes, out var view, out var error) ? FromView(view) : Left<RtcError, RtpPacket>(error!);

    public static RtpPacket FromView(RtpPacketView v)
    {
        var csrcs = new uint[v.CsrcCount];
        for (var i = 0; i < csrcs.Length; i++) csrcs[i] = v.GetCsrc(i);
        var exts = new List<RtpExtension>();
        foreach (var e in v.Extensions) exts.Add(new RtpExtension(e.Id, Bytes.Copy(e.Data)));
        var format = v.ExtensionFormat;
        return new RtpPacket(v.Marker, v.PayloadType, v.SequenceNumber, v.Timestamp, v.Ssrc, csrcs.ToSeq(),
            format, exts.ToSeq(), Bytes.Copy(v.Payload), (byte)v.PaddingSize,
            format == RtpExtensionFormat.Other ? v.ExtensionProfile : (ushort)0,
            format == RtpExtensionFormat.Other ? Bytes.Copy(v.ExtensionData) : default);
    }

    public Option<Bytes> GetExtension(byte id) => Extensions.Find(e => e.Id == id).Map(e => e.Data);

    /// <summary>Replaces or adds the element with this id (choosing the two-byte form if it does not fit the one-byte form).</summary>
    public RtpPacket SetExtension(byte id, Bytes data)
    {
        var exts = Extensions.Exists(e => e.Id == id)
            ? Extensions.Map(e => e.Id == id ? new RtpExtension(id, data) : e)
            : Extensions.Add(new RtpExtension(id, data));
        var needsTwoByte = exts.Exists(e => e.Id > 14 || e.Data.Length is 0 or > 16);
        var format = ExtensionFormat == RtpExtensionFormat.TwoByte || needsTwoByte ? RtpExtensionFormat.TwoByte : RtpExtensionFormat.OneByte;
        return this with { Extensions = exts, ExtensionFormat = format, RawExtension = default, RawExtensionProfile = 0 };
    }

    public RtpPacket RemoveExtension(byte id)
    {
        var exts = Extensions.Filter(e => e.Id != id);
        return this with { Extensions = exts, ExtensionFormat = exts.IsEmpty ? RtpExtensionFormat.None : ExtensionFormat };
    }

    public RtpPacket SetString(byte id, string value) => SetExtension(id, Encoding.ASCII.GetBytes(value));
    public RtpPacket SetTransportSequenceNumber(byte id, ushort seq)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, seq);
        return SetExtension(id, b);
    }
    public RtpPacket SetAbsSendTime(byte id, uint value24)
    {
        var b = new byte[3];
        RtpExtensions.WriteAbsSendTime(b, value24);
        return SetExtension(id, b);
    }
    public RtpPacket SetAudioLevel(byte id, AudioLevel level) => SetExtension(id, new[] { level.ToByte() });
    public RtpPacket SetPlayoutDelay(byte id, PlayoutDelay delay)
    {
        var b = new byte[PlayoutDelay.Size];
        delay.Write(b);
        return SetExtension(id, b);
    }
    public Option<string> GetString(byte id) => GetExtension(id).Map(b => RtpExtensions.ReadString(b.Span));
    public Option<ushort> GetTransportSequenceNumber(byte id) =>
        GetExtension(id).Bind(b => RtpExtensions.TryReadTransportSequenceNumber(b.Span, out var s) ? Some(s) : None);
    public Option<uint> GetAbsSendTime(byte id) =>
        GetExtension(id).Bind(b => RtpExtensions.TryReadAbsSendTime(b.Span, out var s) ? Some(s) : None);
    public Option<AudioLevel> GetAudioLevel(byte id) =>
        GetExtension(id).Bind(b => RtpExtensions.TryReadAudioLevel(b.Span, out var s) ? Some(s) : None);
    public Option<PlayoutDelay> GetPlayoutDelay(byte id) =>
        GetExtension(id).Bind(b => PlayoutDelay.TryRead(b.Span, out var s) ? Some(s) : None);

    /// <summary>The exact size <see cref="TryWrite"/> produces.</summary>
    public int Size
    {
        get
        {
            var size = RtpPacketView.FixedHeaderSize + 4 * Csrcs.Count;
            if (ExtensionFormat == RtpExtensionFormat.Other) size += 4 + RawExtension.Length;
            else if (!Extensions.IsEmpty)
            {
                var per = ExtensionFormat == RtpExtensionFormat.TwoByte ? 2 : 1;
                var body = Extensions.Sum(e => per + e.Data.Length);
                size += 4 + (body + 3) / 4 * 4;
            }
            return size + Payload.Length + PaddingSize;
        }
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        var w = new RtpWriter(destination);
        Span<uint> csrcs = stackalloc uint[Math.Min(Csrcs.Count, 15)];
        for (var i = 0; i < csrcs.Length; i++) csrcs[i] = Csrcs[i];
        var ok = w.WriteHeader(Header, csrcs, ExtensionFormat is RtpExtensionFormat.TwoByte ? RtpExtensionFormat.TwoByte : RtpExtensionFormat.OneByte)
                 && Csrcs.Count <= 15;
        if (ExtensionFormat == RtpExtensionFormat.Other) ok = ok && w.WriteRawExtension(RawExtensionProfile, RawExtension.Span);
        else foreach (var e in Extensions) ok = ok && w.AddExtension(e.Id, e.Data.Span);
        ok = ok && w.WritePayload(Payload.Span, PaddingSize);
        written = ok ? w.Length : 0;
        return ok;
    }

    public Either<RtcError, byte[]> ToBytes()
    {
        var buffer = new byte[Size];
        return TryWrite(buffer, out var n) && n == buffer.Length
            ? Right<RtcError, byte[]>(buffer)
            : Left<RtcError, byte[]>(new RtcError.Range("RTP packet fields out of range (CSRCs > 15, payload type > 127, or an extension that does not fit its form)"));
    }
}
