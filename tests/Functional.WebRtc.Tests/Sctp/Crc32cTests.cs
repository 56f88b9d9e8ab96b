using System.Text;
using Functional.WebRtc.Core.Sctp;

namespace Functional.WebRtc.Tests.Sctp;

public class Crc32cTests
{
    // RFC 3720 Appendix B.4 test vectors, plus the usual "123456789" check value.
    public static TheoryData<byte[], uint> Vectors()
    {
        var inc = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var dec = inc.Reverse().ToArray();
        var iscsi = Convert.FromHexString(
            "01C00000000000000000000000000000" + "14000000000004000000001400000018" + "28000000000000000200000000000000");
        return new TheoryData<byte[], uint>
        {
            { new byte[32], 0x8A9136AA },
            { Enumerable.Repeat((byte)0xFF, 32).ToArray(), 0x62A8AB43 },
            { inc, 0x46DD794E },
            { dec, 0x113FDB5C },
            { iscsi, 0xD9963A56 },
            { Encoding.ASCII.GetBytes("123456789"), 0xE3069283 },
        };
    }

    [Theory, MemberData(nameof(Vectors))]
    public void MatchesRfc3720Vectors(byte[] data, uint expected)
    {
        Assert.Equal(expected, Crc32c.Compute(data));
        Assert.Equal(expected, Crc32c.ComputeTable(data));
    }

    [Fact]
    public void IncrementalEqualsOneShot()
    {
        var data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        var crc = Crc32c.Update(0xFFFFFFFF, data.AsSpan(0, 333));
        crc = Crc32c.Update(crc, data.AsSpan(333));
        Assert.Equal(Crc32c.Compute(data), ~crc);
    }
}

public class Crc32cLengthTests
{
    [Fact]
    public void IntrinsicAndTablePathsAgreeForEveryLengthUpTo3000()
    {
        var data = new byte[3000];
        new Random(7).NextBytes(data);
        for (var n = 0; n <= data.Length; n++)
            Assert.True(Crc32c.ComputeTable(data.AsSpan(0, n)) == Crc32c.Compute(data.AsSpan(0, n)), $"length {n}");
        for (var off = 1; off < 9; off++)
            Assert.Equal(Crc32c.ComputeTable(data.AsSpan(off, 1200)), Crc32c.Compute(data.AsSpan(off, 1200)));
    }
}
