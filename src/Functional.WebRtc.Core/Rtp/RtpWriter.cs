using System.Buffers.Binary;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>The fixed RTP header fields (RFC 3550 section 5.1) a writer needs; CSRCs are passed separately.</summary>
public readonly record struct RtpHeader(bool Marker, byte PayloadType, ushort SequenceNumber, uint Timestamp, uint Ssrc);

/// <summary>
/// Writes an RTP packet into a caller-provided span without allocating:
/// <c>var w = new RtpWriter(dst); w.WriteHeader(h); w.AddExtension(1, mid); w.WritePayload(payload); n = w.Length;</c>
/// Every call returns false (and sets <see cref="Failed"/>) when the span is too small or a call is out of order or invalid.
/// </summary>
public ref struct RtpWriter
{
    private readonly Span<byte> _dest;
    private RtpExtensionFormat _format;
    private int _pos;
    private int _extHeader = -1;   // offset of the 4-byte extension header
    private int _stage;            // 0 = nothing, 1 = header written, 2 = payload written

    public RtpWriter(Span<byte> destination) { _dest = destination; }

    /// <summary>Bytes written so far (the packet size after <see cref="WritePayload"/>).</summary>
    public readonly int Length => _pos;
    public bool Failed { get; private set; }

    private bool Fail() { Failed = true; return false; }

    /// <summary>Writes the fixed header and CSRCs. <paramref name="extensions"/> chooses the RFC 8285 layout for later elements.</summary>
    public bool WriteHeader(in RtpHeader header, scoped ReadOnlySpan<uint> csrcs = default, RtpExtensionFormat extensions = RtpExtensionFormat.OneByte)
    {
        if (_stage != 0 || csrcs.Length > 15 || header.PayloadType > 127 || extensions == RtpExtensionFormat.Other) return Fail();
        var size = RtpPacketView.FixedHeaderSize + 4 * csrcs.Length;
        if (_dest.Length < size) return Fail();
        _dest[0] = (byte)(0x80 | csrcs.Length);
        _dest[1] = (byte)((header.Marker ? 0x80 : 0) | header.PayloadType);
        BinaryPrimitives.WriteUInt16BigEndian(_dest[2..], header.SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(_dest[4..], header.Timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(_dest[8..], header.Ssrc);
        for (var i = 0; i < csrcs.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(_dest[(12 + 4 * i)..], csrcs[i]);
        _pos = size;
        _format = extensions == RtpExtensionFormat.None ? RtpExtensionFormat.OneByte : extensions;
        _stage = 1;
        return true;
    }

    /// <summary>Appends one RFC 8285 element. One-byte form: id 1..14 and 1..16 bytes; two-byte form: id 1..255 and 0..255 bytes.</summary>
    public bool AddExtension(byte id, scoped ReadOnlySpan<byte> data)
    {
        if (_stage != 1 || id == 0) return Fail();
        var oneByte = _format == RtpExtensionFormat.OneByte;
        if (oneByte ? id > 14 || data.Length is < 1 or > 16 : data.Length > 255) return Fail();
        var needed = (oneByte ? 1 : 2) + data.Length + (_extHeader < 0 ? 4 : 0);
        if (_dest.Length < _pos + needed) return Fail();
        if (_extHeader < 0)
        {
            _extHeader = _pos;
            _dest[0] |= 0x10;
            BinaryPrimitives.WriteUInt16BigEndian(_dest[_pos..], oneByte ? RtpPacketView.OneByteProfile : RtpPacketView.TwoByteProfile);
            _pos += 4;
        }
        if (oneByte) _dest[_pos++] = (byte)((id << 4) | (data.Length - 1));
        else { _dest[_pos++] = id; _dest[_pos++] = (byte)data.Length; }
        data.CopyTo(_dest[_pos..]);
        _pos += data.Length;
        return true;
    }

    /// <summary>Appends a raw RFC 3550 extension with any profile (no RFC 8285 elements); data must be a multiple of 4 bytes.</summary>
    public bool WriteRawExtension(ushort profile, scoped ReadOnlySpan<byte> data)
    {
        if (_stage != 1 || _extHeader >= 0 || data.Length % 4 != 0 || data.Length / 4 > ushort.MaxValue) return Fail();
        if (_dest.Length < _pos + 4 + data.Length) return Fail();
        _dest[0] |= 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(_dest[_pos..], profile);
        BinaryPrimitives.WriteUInt16BigEndian(_dest[(_pos + 2)..], (ushort)(data.Length / 4));
        data.CopyTo(_dest[(_pos + 4)..]);
        _pos += 4 + data.Length;
        _extHeader = -2; // closed
        return true;
    }

    /// <summary>Closes the extension block (zero padding to 32 bits), writes the payload and optional padding (RFC 3550 5.1).</summary>
    public bool WritePayload(scoped ReadOnlySpan<byte> payload, byte paddingSize = 0)
    {
        if (_stage != 1) return Fail();
        if (_extHeader >= 0)
        {
            var words = (_pos - _extHeader - 4 + 3) / 4;
            var end = _extHeader + 4 + 4 * words;
            if (_dest.Length < end || words > ushort.MaxValue) return Fail();
            _dest[_pos..end].Clear();
            BinaryPrimitives.WriteUInt16BigEndian(_dest[(_extHeader + 2)..], (ushort)words);
            _pos = end;
        }
        if (_dest.Length < _pos + payload.Length + paddingSize) return Fail();
        payload.CopyTo(_dest[_pos..]);
        _pos += payload.Length;
        if (paddingSize > 0)
        {
            _dest[0] |= 0x20;
            _dest.Slice(_pos, paddingSize - 1).Clear();
            _pos += paddingSize;
            _dest[_pos - 1] = paddingSize;
        }
        _stage = 2;
        return true;
    }

    // Typed helpers for the usual extensions (the id comes from the negotiated a=extmap).
    public bool AddAbsSendTime(byte id, uint value24)
    {
        Span<byte> b = stackalloc byte[3];
        RtpExtensions.WriteAbsSendTime(b, value24);
        return AddExtension(id, b);
    }
    public bool AddTransportSequenceNumber(byte id, ushort seq)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, seq);
        return AddExtension(id, b);
    }
    public bool AddAudioLevel(byte id, AudioLevel level)
    {
        Span<byte> b = [level.ToByte()];
        return AddExtension(id, b);
    }
    public bool AddPlayoutDelay(byte id, PlayoutDelay delay)
    {
        Span<byte> b = stackalloc byte[3];
        delay.Write(b);
        return AddExtension(id, b);
    }
    /// <summary>sdes:mid, rtp-stream-id and repaired-rtp-stream-id are ASCII strings (RFC 8843, RFC 8852).</summary>
    public bool AddString(byte id, string value)
    {
        if (value.Length > 255) return Fail();
        Span<byte> b = stackalloc byte[value.Length];
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] > 0x7F) return Fail();
            b[i] = (byte)value[i];
        }
        return AddExtension(id, b);
    }
}
