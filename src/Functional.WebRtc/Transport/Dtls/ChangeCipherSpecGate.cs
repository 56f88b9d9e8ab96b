using System.Buffers.Binary;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>
/// Works around a BouncyCastle 1.8.10 DTLS server dead end under loss. When the client's flight
/// (Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished) loses the CertificateVerify but the
/// ChangeCipherSpec gets through, the server's record layer moves its read epoch to 1 and from then on drops every
/// epoch-0 handshake record, including each retransmitted CertificateVerify: the handshake can never finish.
/// <para>
/// This gate sits in front of the server's queue and holds back (drops) an epoch-0 ChangeCipherSpec record until the
/// client's Certificate (11), ClientKeyExchange (16) and CertificateVerify (15) have been seen complete in plaintext
/// epoch-0 records. WebRTC always sends all three (both sides present certificates). A dropped ChangeCipherSpec is
/// simply lost: the client resends it with its flight (RFC 6347 section 4.2.4).
/// </para>
/// </summary>
internal sealed class ChangeCipherSpecGate
{
    private const byte ContentChangeCipherSpec = 20;
    private const byte ContentHandshake = 22;
    private const int RecordHeader = 13;
    private const int HandshakeHeader = 12;

    private readonly Dictionary<byte, bool[]> coverage = [];
    private bool ready;

    public bool Ready => ready;

    /// <summary>The datagram with any premature ChangeCipherSpec record removed; null when nothing is left.</summary>
    public byte[]? Filter(byte[] datagram)
    {
        if (ready) return datagram;
        List<(int Start, int Length)>? dropped = null;
        var off = 0;
        while (off + RecordHeader <= datagram.Length)
        {
            var type = datagram[off];
            var epoch = BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(off + 3));
            var length = BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(off + 11));
            if (off + RecordHeader + length > datagram.Length) break;
            var body = datagram.AsSpan(off + RecordHeader, length);
            if (epoch == 0 && type == ContentHandshake) Observe(body);
            else if (epoch == 0 && type == ContentChangeCipherSpec && !ready) (dropped ??= []).Add((off, RecordHeader + length));
            off += RecordHeader + length;
        }
        if (dropped is null) return datagram;
        var kept = new byte[datagram.Length - dropped.Sum(d => d.Length)];
        int from = 0, to = 0;
        foreach (var (start, len) in dropped)
        {
            datagram.AsSpan(from, start - from).CopyTo(kept.AsSpan(to));
            to += start - from;
            from = start + len;
        }
        datagram.AsSpan(from).CopyTo(kept.AsSpan(to));
        return kept.Length == 0 ? null : kept;
    }

    private void Observe(ReadOnlySpan<byte> record)
    {
        while (record.Length >= HandshakeHeader)
        {
            var msgType = record[0];
            var total = ReadUInt24(record[1..]);
            var fragmentOffset = ReadUInt24(record[6..]);
            var fragmentLength = ReadUInt24(record[9..]);
            if (HandshakeHeader + fragmentLength > record.Length || fragmentOffset + fragmentLength > total) return;
            if (msgType is 11 or 15 or 16 && total <= 1 << 16)
            {
                if (!coverage.TryGetValue(msgType, out var covered) || covered.Length != total)
                    coverage[msgType] = covered = new bool[total];
                covered.AsSpan(fragmentOffset, fragmentLength).Fill(true);
            }
            record = record[(HandshakeHeader + fragmentLength)..];
        }
        ready = Complete(11) && Complete(15) && Complete(16);
    }

    private bool Complete(byte msgType) => coverage.TryGetValue(msgType, out var c) && !c.AsSpan().Contains(false);

    private static int ReadUInt24(ReadOnlySpan<byte> b) => b[0] << 16 | b[1] << 8 | b[2];
}
