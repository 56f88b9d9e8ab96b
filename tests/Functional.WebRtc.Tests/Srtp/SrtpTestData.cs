using System.Buffers.Binary;
using Functional.WebRtc.Core.Srtp;

namespace Functional.WebRtc.Tests.Srtp;

internal static class SrtpTestData
{
    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(char.IsAsciiHexDigit)));

    public static readonly SrtpProtectionProfile[] Profiles =
    [
        SrtpProtectionProfile.AesCm128HmacSha1_80, SrtpProtectionProfile.AesCm128HmacSha1_32,
        SrtpProtectionProfile.AeadAes128Gcm, SrtpProtectionProfile.AeadAes256Gcm,
    ];

    /// <summary>A deterministic pseudo-random master key and salt for a profile.</summary>
    public static (byte[] Key, byte[] Salt) MasterKey(SrtpProtectionProfile profile, int seed)
    {
        var p = profile.Parameters();
        var rng = new Random(seed);
        var key = new byte[p.MasterKeyLength];
        var salt = new byte[p.MasterSaltLength];
        rng.NextBytes(key);
        rng.NextBytes(salt);
        return (key, salt);
    }

    /// <summary>An RTP packet with the given header fields, CSRCs, an optional one-byte-header extension and payload.</summary>
    public static byte[] Rtp(ushort seq, uint ssrc, int payloadLength, int csrcs = 0, int extensionWords = -1, int seed = 0, bool marker = false)
    {
        var rng = new Random(seed ^ seq);
        int header = 12 + 4 * csrcs + (extensionWords >= 0 ? 4 + 4 * extensionWords : 0);
        var packet = new byte[header + payloadLength];
        packet[0] = (byte)(0x80 | (extensionWords >= 0 ? 0x10 : 0) | csrcs);
        packet[1] = (byte)((marker ? 0x80 : 0) | 96);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), (uint)(seq * 960u + 12345));
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        int at = 12;
        for (int i = 0; i < csrcs; i++, at += 4) BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(at), (uint)rng.Next());
        if (extensionWords >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), 0xBEDE);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at + 2), (ushort)extensionWords);
            rng.NextBytes(packet.AsSpan(at + 4, 4 * extensionWords));
            at += 4 + 4 * extensionWords;
        }
        rng.NextBytes(packet.AsSpan(at));
        return packet;
    }

    /// <summary>A sender report (PT 200) with the given SSRC and some report bytes.</summary>
    public static byte[] Rtcp(uint ssrc, int words, int seed = 0)
    {
        var packet = new byte[8 + 4 * words];
        packet[0] = 0x80;
        packet[1] = 200;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(1 + words));
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), ssrc);
        new Random(seed).NextBytes(packet.AsSpan(8));
        return packet;
    }

    /// <summary>Copies a packet into a buffer with room for any trailer.</summary>
    public static byte[] WithRoom(byte[] packet, int room = 256)
    {
        var buffer = new byte[packet.Length + room];
        packet.CopyTo(buffer, 0);
        return buffer;
    }
}
