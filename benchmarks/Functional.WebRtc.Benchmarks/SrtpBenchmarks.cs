using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Srtp;
using Functional.WebRtc.Transport;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// SRTP on a 1200-byte RTP packet (12-byte header + 1188-byte payload), per profile. Unprotect needs a fresh
/// (non-replayed) packet each time, so it is measured as ProtectThenUnprotect minus Protect.
/// MB/s = 1200 / mean(ns) * 1000.
/// </summary>
[MemoryDiagnoser]
public class SrtpBenchmarks
{
    private const int PacketLength = 1200;
    private SrtpContext _sender = null!, _receiver = null!;
    private readonly byte[] _plain = new byte[PacketLength];
    private readonly byte[] _buffer = new byte[PacketLength + 64];
    private ushort _seq;

    [Params(SrtpProtectionProfile.AesCm128HmacSha1_80, SrtpProtectionProfile.AesCm128HmacSha1_32,
            SrtpProtectionProfile.AeadAes128Gcm, SrtpProtectionProfile.AeadAes256Gcm)]
    public SrtpProtectionProfile Profile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var p = Profile.Parameters();
        var rng = new Random(1);
        var key = new byte[p.MasterKeyLength];
        var salt = new byte[p.MasterSaltLength];
        rng.NextBytes(key);
        rng.NextBytes(salt);
        _sender = SrtpContext.Create(Profile, key, salt, LibCryptoSrtp.Options()); // as PeerTransport
        _receiver = SrtpContext.Create(Profile, key, salt, LibCryptoSrtp.Options());
        rng.NextBytes(_plain);
        _plain[0] = 0x80;
        _plain[1] = 96;
        BinaryPrimitives.WriteUInt32BigEndian(_plain.AsSpan(8), 0x12345678);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }

    [Benchmark]
    public int ProtectRtp()
    {
        _plain.CopyTo(_buffer, 0);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), _seq++);
        _sender.ProtectRtp(_buffer, PacketLength, out int n);
        return n;
    }

    [Benchmark]
    public int ProtectThenUnprotectRtp()
    {
        _plain.CopyTo(_buffer, 0);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), _seq++);
        _sender.ProtectRtp(_buffer, PacketLength, out int n);
        if (_receiver.UnprotectRtp(_buffer, n, out int m) != SrtpResult.Ok) throw new InvalidOperationException("unprotect failed");
        return m;
    }
}

/// <summary>The AES-CM keystream alone on 1188 bytes: AES-NI against the reused ECB encryptor fallback.</summary>
[MemoryDiagnoser]
public class SrtpAesCmKeystreamBenchmarks
{
    private AesCounterMode _aesNi = null!, _ecb = null!;
    private readonly byte[] _data = new byte[1188];
    private readonly byte[] _iv = new byte[16];

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[16];
        new Random(2).NextBytes(key);
        _aesNi = new AesCounterMode(key, allowAesNi: true);
        _ecb = new AesCounterMode(key, allowAesNi: false);
    }

    [Benchmark(Baseline = true)] public void EcbFallback() => _ecb.Xor(_iv, _data);
    [Benchmark] public void AesNi() => _aesNi.Xor(_iv, _data);
}
