using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Stun;

namespace Functional.WebRtc.Benchmarks;

/// <summary>Per-message cost of the STUN path: parse, MESSAGE-INTEGRITY and FINGERPRINT checks, and encoding.</summary>
[MemoryDiagnoser]
public class StunBenchmarks
{
    // RFC 5769 2.1 sample request.
    private static readonly byte[] Request = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74" +
        "002400046e0001ff80290008932ff9b151263b36000600096576746a3a6836765920202000080014" +
        "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf");
    private static readonly byte[] Key = StunIntegrity.ShortTermKey("VOkJxbRl1RmTxUk/WvJxBt");
    private readonly byte[] _scratch = new byte[256];
    private StunMessage _message = null!;

    [GlobalSetup]
    public void Setup() => StunMessage.TryParse(Request, out _message, out _);

    [Benchmark]
    public bool ParseIntegrityFingerprint() =>
        StunMessage.TryParse(Request, out _, out _) && StunIntegrity.CheckMessageIntegrity(Request, Key) && StunIntegrity.CheckFingerprint(Request);

    [Benchmark]
    public bool IntegrityAndFingerprintOnly() => StunIntegrity.CheckMessageIntegrity(Request, Key) && StunIntegrity.CheckFingerprint(Request);

    [Benchmark]
    public int EncodeWithIntegrityAndFingerprint() => _message.WriteTo(_scratch, Key, fingerprint: true);

    [Benchmark]
    public uint Crc32Of1200Bytes() => Crc32.Compute(Payload);

    private static readonly byte[] Payload = Enumerable.Range(0, 1200).Select(i => (byte)i).ToArray();
}
