using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Srtp;
using Functional.WebRtc.Transport;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// AES_CM_128_HMAC_SHA1_80 with each HMAC-SHA1 provider in one run (so load affects both alike): .NET's reused
/// IncrementalHash (<see cref="BclSrtpCrypto"/>) against direct libcrypto SHA-1 with precomputed pads
/// (<see cref="LibCryptoSrtp"/>). Per 1200-byte packet: protect; protect then unprotect; and the SFU forward of
/// <see cref="ForwardingBenchmarks"/> (publisher protect, then unprotect, route, rewrite, protect), whose cost is
/// ProtectThenForward - Protect. The MAC alone over 1204 octets (packet + ROC) is <see cref="Mac"/>. "Gcm" runs the
/// same operations with AEAD_AES_128_GCM for reference (its Mac and Keystream rows are the BCL MAC and the AES-CM keystream).
/// </summary>
[MemoryDiagnoser]
public class SrtpAesCmBenchmarks
{
    private const int PacketLength = 1200;
    private SrtpContext _publisher = null!, _sfuInbound = null!, _sfuOutbound = null!;
    private ISrtpHmacSha1 _mac = null!;
    private AesCounterMode _ctr = null!;
    private readonly byte[] _iv = new byte[16];
    private readonly byte[] _plain = new byte[PacketLength];
    private readonly byte[] _buffer = new byte[PacketLength + 64];
    private readonly byte[] _tag = new byte[20];
    private readonly RtpRewrite _rewrite = new(0x9ABC_DEF0, 102, SequenceOffset: 1000, TimestampOffset: 90_000);
    private ushort _seq;
    private int _protectedLength, _tagLength;

    /// <summary>"Bcl" and "LibCrypto": AES_CM_128_HMAC_SHA1_80 with that provider; "Gcm": AEAD_AES_128_GCM, for reference.</summary>
    [Params("Bcl", "LibCrypto", "Gcm")]
    public string Crypto { get; set; } = "Bcl";

    [GlobalSetup]
    public void Setup()
    {
        ISrtpCryptoProvider provider = Crypto == "LibCrypto" ? LibCryptoSrtp.Instance : BclSrtpCrypto.Instance;
        if (Crypto == "LibCrypto" && !LibCryptoSrtp.Available) throw new InvalidOperationException("libcrypto path unavailable");
        var options = new SrtpOptions { Crypto = provider };
        var profile = Crypto == "Gcm" ? SrtpProtectionProfile.AeadAes128Gcm : SrtpProtectionProfile.AesCm128HmacSha1_80;
        int key = profile.Parameters().MasterKeyLength, saltLength = profile.Parameters().MasterSaltLength;
        _tagLength = profile.Parameters().RtpTagLength;
        var entropy = new Core.Entropy(11);
        byte[] Bytes(int n) { var b = new byte[n]; entropy = entropy.Fill(b); return b; }
        var (key1, salt1, key2, salt2) = (Bytes(key), Bytes(saltLength), Bytes(key), Bytes(saltLength));
        _publisher = SrtpContext.Create(profile, key1, salt1, options);
        _sfuInbound = SrtpContext.Create(profile, key1, salt1, options);
        _sfuOutbound = SrtpContext.Create(profile, key2, salt2, options);
        _mac = provider.CreateHmacSha1(Bytes(20));
        _ctr = new AesCounterMode(Bytes(16));
        Bytes(PacketLength).CopyTo(_plain, 0);
        _plain[0] = 0x80;
        _plain[1] = 96;
        BinaryPrimitives.WriteUInt32BigEndian(_plain.AsSpan(8), 0x1234_5678);
        for (int i = 0; i < 3; i++)
            if (ProtectThenForward() != PacketLength + _tagLength) throw new InvalidOperationException("forward failed");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _publisher.Dispose();
        _sfuInbound.Dispose();
        _sfuOutbound.Dispose();
        _mac.Dispose();
        _ctr.Dispose();
    }

    /// <summary>The AES-CM keystream XOR alone over a 1188-octet payload (the same for both providers).</summary>
    [Benchmark]
    public int Keystream()
    {
        _ctr.Xor(_iv, _buffer.AsSpan(12, PacketLength - 12));
        return _buffer[12];
    }

    [Benchmark]
    public int Mac()
    {
        _mac.Compute(_buffer.AsSpan(0, PacketLength + 4), _tag);
        return _tag[0];
    }

    [Benchmark(Baseline = true)]
    public int Protect()
    {
        _plain.CopyTo(_buffer, 0);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), _seq++);
        _publisher.ProtectRtp(_buffer, PacketLength, out _protectedLength);
        return _protectedLength;
    }

    [Benchmark]
    public int ProtectThenUnprotect()
    {
        Protect();
        return _sfuInbound.UnprotectRtp(_buffer, _protectedLength, out var n) == SrtpResult.Ok ? n : 0;
    }

    [Benchmark]
    public int ProtectThenForward()
    {
        Protect();
        if (_sfuInbound.UnprotectRtp(_buffer, _protectedLength, out var n) != SrtpResult.Ok) return 0;
        _rewrite.Apply(_buffer.AsSpan(0, n));
        return _sfuOutbound.ProtectRtp(_buffer, n, out var sent) == SrtpResult.Ok ? sent : 0;
    }
}

/// <summary>
/// The same operations as <see cref="SrtpAesCmBenchmarks"/> timed in batches, reporting the minimum and median per
/// operation over many batches: on a machine loaded by other processes the minimum is the cost without preemption.
/// <c>dotnet run -c Release --project benchmarks/Functional.WebRtc.Benchmarks -- srtp-cm [batches]</c>.
/// </summary>
public static class SrtpAesCmTiming
{
    public static int Run(string[] args)
    {
        int batches = args.Length > 1 ? int.Parse(args[1]) : 400;
        const int perBatch = 100;
        var ops = new (string Name, Func<SrtpAesCmBenchmarks, int> Op)[]
        {
            ("Keystream (1188 B)", b => b.Keystream()), ("Mac (1204 B)", b => b.Mac()), ("Protect", b => b.Protect()),
            ("ProtectThenUnprotect", b => b.ProtectThenUnprotect()), ("ProtectThenForward", b => b.ProtectThenForward()),
        };
        // One instance per operation and provider: a sender running far ahead of its receiver (more than 2^15
        // packets) would make the receiver's index estimate wrong (RFC 3711 3.3.1), as it should.
        var benches = new Dictionary<(string, string), SrtpAesCmBenchmarks>();
        var configs = new[] { "Bcl", "LibCrypto", "Gcm" };
        foreach (var (name, _) in ops)
            foreach (var crypto in configs)
            {
                var b = new SrtpAesCmBenchmarks { Crypto = crypto };
                b.Setup();
                benches[(name, crypto)] = b;
            }
        // Warm-up in rounds with pauses so tiered compilation promotes the code (see Setup.cs).
        for (int round = 0; round < 4; round++)
        {
            foreach (var (name, op) in ops) foreach (var crypto in configs) for (int i = 0; i < 2000; i++) op(benches[(name, crypto)]);
            Thread.Sleep(300);
        }
        Console.WriteLine($"load: {File.ReadAllText("/proc/loadavg").Trim()}  {DateTime.UtcNow:HH:mm:ss} UTC, {batches} batches of {perBatch}");
        Console.WriteLine($"{"op",-22} {"crypto",-10} {"min ns",8} {"median ns",10} {"alloc B/op",10}");
        foreach (var (name, op) in ops)
            foreach (var crypto in configs)
            {
                var b = benches[(name, crypto)];
                var times = new double[batches];
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                for (int k = 0; k < batches; k++)
                {
                    long start = System.Diagnostics.Stopwatch.GetTimestamp();
                    for (int i = 0; i < perBatch; i++) op(b);
                    times[k] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalNanoseconds / perBatch;
                }
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                Array.Sort(times);
                if (op(b) == 0 && name.StartsWith("Protect")) throw new InvalidOperationException($"{name} failed");
                Console.WriteLine($"{name,-22} {crypto,-10} {times[0],8:F0} {times[batches / 2],10:F0} {(double)allocated / (batches * perBatch),10:F2}");
            }
        foreach (var b in benches.Values) b.Cleanup();
        return 0;
    }
}
