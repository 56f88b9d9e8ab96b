using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// Why AES_CM_128_HMAC_SHA1_80 forwards 3x slower than AEAD_AES_128_GCM (ForwardingBenchmarks): the HMAC-SHA1 over a
/// 1200-byte packet plus ROC as the SRTP context computes it (a reused IncrementalHash: AppendData then
/// TryGetHashAndReset, two calls into OpenSSL) against the one-shot static HMACSHA1.TryHashData (one call, the key
/// schedule redone each time).
/// </summary>
[MemoryDiagnoser]
public class ForwardingHmacBenchmarks
{
    private readonly byte[] _key = new byte[20];
    private readonly byte[] _data = new byte[1204];
    private readonly byte[] _mac = new byte[20];
    private IncrementalHash _incremental = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Core.Entropy(3).Fill(_key);
        new Core.Entropy(4).Fill(_data);
        _incremental = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, _key);
    }

    [GlobalCleanup]
    public void Cleanup() => _incremental.Dispose();

    [Benchmark(Baseline = true)]
    public int IncrementalHmac()
    {
        _incremental.AppendData(_data);
        _incremental.TryGetHashAndReset(_mac, out var n);
        return n;
    }

    [Benchmark]
    public int OneShotHmac()
    {
        HMACSHA1.TryHashData(_key, _data, _mac, out var n);
        return n;
    }

    [Benchmark]
    public int Sha1Only()
    {
        SHA1.TryHashData(_data, _mac, out var n);
        return n;
    }
}
