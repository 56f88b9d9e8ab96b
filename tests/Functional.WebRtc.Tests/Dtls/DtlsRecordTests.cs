using System.Buffers.Binary;
using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>The pure DTLS 1.2 AES-GCM record codec (RFC 5288, RFC 6347 section 4.1) and its replay window.</summary>
public class DtlsRecordTests
{
    private static readonly byte[] Key128 = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
    private static readonly byte[] Key256 = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static readonly byte[] Salt = Convert.FromHexString("cafebabe");

    /// <summary>The record built by hand with .NET's AesGcm, following RFC 5246 6.2.3.3 and RFC 5288 3.</summary>
    private static byte[] Reference(byte[] key, byte[] salt, byte type, ushort epoch, ulong seq, byte[] plaintext)
    {
        var seqNum = ((ulong)epoch << 48) | seq;
        var nonce = new byte[12];
        salt.CopyTo(nonce, 0);
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), seqNum);
        var aad = new byte[13];
        BinaryPrimitives.WriteUInt64BigEndian(aad, seqNum);
        aad[8] = type;
        aad[9] = 0xFE; aad[10] = 0xFD;
        BinaryPrimitives.WriteUInt16BigEndian(aad.AsSpan(11), (ushort)plaintext.Length);
        var cipher = new byte[plaintext.Length];
        var tag = new byte[16];
        using (var gcm = new AesGcm(key, 16)) gcm.Encrypt(nonce, plaintext, cipher, tag, aad);
        var record = new byte[13 + 8 + plaintext.Length + 16];
        record[0] = type; record[1] = 0xFE; record[2] = 0xFD;
        BinaryPrimitives.WriteUInt64BigEndian(record.AsSpan(3), seqNum);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(11), (ushort)(8 + plaintext.Length + 16));
        BinaryPrimitives.WriteUInt64BigEndian(record.AsSpan(13), seqNum);
        cipher.CopyTo(record, 21);
        tag.CopyTo(record, 21 + plaintext.Length);
        return record;
    }

    private static byte[] Payload(int n, int seed) => Enumerable.Range(0, n).Select(i => (byte)(i * 31 + seed)).ToArray();

    private static byte[] Seal(DtlsRecordProtection p, ulong seq, byte[] plaintext, byte type = DtlsContentType.ApplicationData)
    {
        var buffer = new byte[DtlsRecordProtection.RecordLength(plaintext.Length)];
        Assert.Equal(buffer.Length, p.Seal(type, seq, plaintext, buffer));
        return buffer;
    }

    [Theory]
    [InlineData(16, 0, 1UL)]
    [InlineData(16, 1200, 0x0000_1234_5678_9ABCUL)]
    [InlineData(32, 1, 7UL)]
    [InlineData(32, 16384, DtlsRecord.MaxSequenceNumber)]
    [InlineData(16, 1, 1UL)]
    public void Seal_matches_a_record_built_with_the_BCL_AesGcm(int keyLength, int size, ulong seq)
    {
        var key = keyLength == 16 ? Key128 : Key256;
        var plaintext = Payload(size, size);
        foreach (var aesNi in new[] { true, false })
        {
            using var p = new DtlsRecordProtection(key, Salt, 1, aesNi);
            Assert.Equal(Reference(key, Salt, 23, 1, seq, plaintext), Seal(p, seq, plaintext));
        }
    }

    [Fact]
    public void Open_decrypts_a_reference_record_in_place_and_moves_the_window()
    {
        var plaintext = Payload(1200, 3);
        var record = Reference(Key128, Salt, 23, 1, 42, plaintext);
        using var p = new DtlsRecordProtection(Key128, Salt, 1);
        Assert.Equal(DtlsOpenStatus.Opened, p.Open(record, DtlsContentType.ApplicationData, out var at, out var n));
        Assert.Equal(21, at);
        Assert.Equal(plaintext, record.AsSpan(at, n).ToArray());
        Assert.Equal(42UL, p.Window.Highest);
    }

    [Fact]
    public void Seal_refuses_oversized_plaintext_small_buffers_and_49_bit_sequence_numbers()
    {
        using var p = new DtlsRecordProtection(Key128, Salt, 1);
        Assert.Equal(-1, p.Seal(23, 1, new byte[16385], new byte[20000]));
        Assert.Equal(-1, p.Seal(23, 1, new byte[100], new byte[100 + 36]));
        Assert.Equal(-1, p.Seal(23, 1UL << 48, new byte[10], new byte[100]));
    }

    [Fact]
    public void Every_single_byte_change_is_rejected_and_leaves_the_record_as_it_was()
    {
        using var sender = new DtlsRecordProtection(Key128, Salt, 1);
        var record = Seal(sender, 9, Payload(64, 1));
        for (var i = 0; i < record.Length; i++)
        {
            using var receiver = new DtlsRecordProtection(Key128, Salt, 1);
            var tampered = (byte[])record.Clone();
            tampered[i] ^= 0x01;
            var copy = (byte[])tampered.Clone();
            var status = receiver.Open(tampered, DtlsContentType.ApplicationData, out _, out _);
            Assert.NotEqual(DtlsOpenStatus.Opened, status);
            Assert.Equal(copy, tampered);
            Assert.False(receiver.Window.Any, $"byte {i}: a rejected record moved the window");
        }
    }

    [Fact]
    public void A_record_sealed_with_another_key_or_salt_is_invalid()
    {
        using var sender = new DtlsRecordProtection(Key128, Salt, 1);
        using var otherKey = new DtlsRecordProtection(Key256[16..], Salt, 1);
        using var otherSalt = new DtlsRecordProtection(Key128, [1, 2, 3, 4], 1);
        Assert.Equal(DtlsOpenStatus.Invalid, otherKey.Open(Seal(sender, 1, Payload(10, 0)), 23, out _, out _));
        Assert.Equal(DtlsOpenStatus.Invalid, otherSalt.Open(Seal(sender, 1, Payload(10, 0)), 23, out _, out _));
    }

    [Fact]
    public void Other_epochs_and_content_types_are_not_ours()
    {
        using var epoch1 = new DtlsRecordProtection(Key128, Salt, 1);
        using var epoch2 = new DtlsRecordProtection(Key128, Salt, 2);
        Assert.Equal(DtlsOpenStatus.NotOurs, epoch2.Open(Seal(epoch1, 1, Payload(10, 0)), 23, out _, out _));
        Assert.Equal(DtlsOpenStatus.NotOurs, epoch1.Open(Seal(epoch1, 1, [1, 0], DtlsContentType.Alert), 23, out _, out _));
        Assert.Equal(DtlsOpenStatus.Opened, epoch1.Open(Seal(epoch1, 2, [1, 0], DtlsContentType.Alert), DtlsContentType.Alert, out _, out var n));
        Assert.Equal(2, n);
    }

    [Fact]
    public void Replayed_and_too_old_records_are_dropped_and_reordered_ones_accepted()
    {
        using var sender = new DtlsRecordProtection(Key128, Salt, 1);
        using var receiver = new DtlsRecordProtection(Key128, Salt, 1);
        DtlsOpenStatus Open(ulong seq) => receiver.Open(Seal(sender, seq, Payload(20, (int)seq)), 23, out _, out _);
        Assert.Equal(DtlsOpenStatus.Opened, Open(100));
        Assert.Equal(DtlsOpenStatus.Replayed, Open(100));
        Assert.Equal(DtlsOpenStatus.Opened, Open(98));   // late, inside the window
        Assert.Equal(DtlsOpenStatus.Replayed, Open(98));
        Assert.Equal(DtlsOpenStatus.Opened, Open(37));   // the oldest the window holds (100 - 63)
        Assert.Equal(DtlsOpenStatus.Replayed, Open(36)); // below the window
        Assert.Equal(DtlsOpenStatus.Opened, Open(1000));
        Assert.Equal(DtlsOpenStatus.Replayed, Open(100));
        Assert.Equal(DtlsOpenStatus.Opened, Open(999));
    }

    public static class Arbs
    {
        public static Arbitrary<ulong[]> Sequences() =>
            Gen.Choose(0, 200).Select(i => (ulong)i).ArrayOf().ToArbitrary();
    }

    /// <summary>The window against a model: fresh iff never accepted and no more than 63 below the highest accepted.</summary>
    [Property(MaxTest = 300, Arbitrary = new[] { typeof(Arbs) })]
    public bool Replay_window_agrees_with_a_set_model(ulong[] sequences)
    {
        var window = DtlsReplayWindow.Empty;
        var seen = new System.Collections.Generic.HashSet<ulong>();
        ulong? highest = null;
        foreach (var s in sequences)
        {
            var expected = !seen.Contains(s) && (highest is null || s > highest || highest - s < 64);
            if (window.IsFresh(s) != expected) return false;
            if (!expected) continue;
            window = window.Accept(s);
            seen.Add(s);
            highest = highest is null || s > highest ? s : highest;
        }
        return true;
    }

    [Property(MaxTest = 200)]
    public bool Seal_then_open_round_trips(byte[] plaintext, ulong seq, bool wideKey)
    {
        seq &= DtlsRecord.MaxSequenceNumber;
        var key = wideKey ? Key256 : Key128;
        using var sender = new DtlsRecordProtection(key, Salt, 1);
        using var receiver = new DtlsRecordProtection(key, Salt, 1);
        var record = Seal(sender, seq, plaintext);
        return receiver.Open(record, 23, out var at, out var n) == DtlsOpenStatus.Opened
            && record.AsSpan(at, n).SequenceEqual(plaintext);
    }

    /// <summary>Random bytes and mutations of a valid record: a status or a header, never an exception.</summary>
    [Property(MaxTest = 300)]
    public bool Parsing_and_opening_arbitrary_bytes_never_throws(byte[] noise, int position, byte value)
    {
        using var p = new DtlsRecordProtection(Key128, Salt, 1);
        _ = DtlsRecord.TryReadHeader(noise, out _);
        _ = DtlsRecord.AllRecordsAre(noise, 23, 1);
        var status = p.Open((byte[])noise.Clone(), 23, out _, out _);
        var valid = Seal(p, 5, Payload(30, 1));
        if (valid.Length > 0) valid[Math.Abs(position % valid.Length)] ^= (byte)(value | 1);
        var mutated = p.Open(valid, 23, out _, out _);
        return status != DtlsOpenStatus.Opened && mutated != DtlsOpenStatus.Opened;
    }

    [Fact]
    public void Header_round_trips_and_truncated_records_are_refused()
    {
        var h = new DtlsRecordHeader(22, DtlsRecord.Dtls12, 3, 0x0000_8765_4321_0FEDUL, 5);
        var bytes = new byte[18];
        DtlsRecord.WriteHeader(bytes, h);
        Assert.True(DtlsRecord.TryReadHeader(bytes, out var back));
        Assert.Equal(h, back);
        Assert.Equal((3UL << 48) | 0x8765_4321_0FEDUL, back.EpochAndSequence);
        Assert.False(DtlsRecord.TryReadHeader(bytes.AsSpan(0, 17), out _)); // length says 5, only 4 follow
        Assert.False(DtlsRecord.TryReadHeader(bytes.AsSpan(0, 12), out _));
    }

    [Fact]
    public void Key_block_splits_in_RFC_5246_order()
    {
        var block = Enumerable.Range(0, 40).Select(i => (byte)i).ToArray();
        Assert.True(DtlsAeadKeys.TrySplit(block, 16, out var keys));
        Assert.Equal(block[..16], keys.Client.Key);
        Assert.Equal(block[16..32], keys.Server.Key);
        Assert.Equal(block[32..36], keys.Client.Salt);
        Assert.Equal(block[36..40], keys.Server.Salt);
        Assert.Equal((keys.Server, keys.Client), keys.For(DtlsRole.Server));
        Assert.False(DtlsAeadKeys.TrySplit(block, 32, out _));
        Assert.Equal(72, DtlsAeadSuites.KeyBlockLength(32));
        Assert.Equal(16, DtlsAeadSuites.KeyLength(0xC02B));
        Assert.Equal(32, DtlsAeadSuites.KeyLength(0xC02C));
        Assert.Equal(0, DtlsAeadSuites.KeyLength(0xC023));
    }
}
