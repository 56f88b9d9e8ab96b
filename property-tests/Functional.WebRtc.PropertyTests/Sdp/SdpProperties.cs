using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Sdp;

public class SdpProperties
{
    private static readonly string[] CorpusFiles =
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Sdp", "Data"), "*.sdp").OrderBy(f => f, StringComparer.Ordinal).ToArray();
    private static readonly string[] Corpus = CorpusFiles.Select(f => System.IO.File.ReadAllText(f)).ToArray();

    [Fact]
    public void CorpusIsPresent() => Assert.True(Corpus.Length >= 6, $"found {Corpus.Length} corpus files");

    /// <summary>The mutation fuzz reaches both outcomes (so it exercises the parser deeply, not only its first line).</summary>
    [Fact]
    public void MutationsGiveBothDescriptionsAndErrors()
    {
        int ok = 0, failed = 0;
        for (var i = 0; i < 300; i++)
            SdpParser.Parse(Mutate(Corpus[i % Corpus.Length], new Entropy((ulong)i), 1 + i % 4)).Match(_ => ok++, _ => failed++);
        Assert.True(ok > 30 && failed > 30, $"ok {ok}, failed {failed}");
    }

    [Fact]
    public void GeneratedModelsAreRich()
    {
        var sample = SdpGenerators.Description.Sample(50, 40);
        Assert.Contains(sample, d => d.Media.Count >= 2 && d.Media.Exists(m => m.Attributes.Count > 3));
        Assert.Contains(sample, d => d.Media.Exists(m => m.Attributes.Exists(a => !a.HasValue)));
        Assert.Contains(sample, d => d.Timings.Exists(t => t.Repeats.Count > 0));
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(SdpArbitraries) })]
    public bool ModelRoundTripsThroughText(SdpDescription model)
    {
        var text = SdpWriter.Write(model);
        return SdpParser.Parse(text).Match(
            parsed => parsed == model && SdpWriter.Write(parsed) == text,
            e => throw new Exception($"{e}\n{text}"));
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(SdpArbitraries) })]
    public bool CandidateRoundTrips(CandidateAttribute candidate) =>
        CandidateAttribute.Parse(candidate.ToString()).Match(c => c == candidate, e => throw new Exception($"{e}: {candidate}"))
        && CandidateAttribute.Parse(candidate.CandidateString).Match(c => c == candidate, _ => false);

    /// <summary>Random bytes, read as Latin-1 and as UTF-8: a description or a syntax error, never an exception.</summary>
    [Property(MaxTest = 500)]
    public bool RandomBytesNeverThrow(byte[] bytes) =>
        IsSafe(Encoding.Latin1.GetString(bytes)) && IsSafe(Encoding.UTF8.GetString(bytes));

    [Property(MaxTest = 300)]
    public bool RandomStringsNeverThrow(string text) =>
        IsSafe(text ?? "") && IsSafe("v=0\r\n" + text) && CandidateNeverThrows(text ?? "");

    public static Arbitrary<(int File, int Seed, int Count)> MutationPlans() =>
        (from file in Gen.Choose(0, 5) from seed in Gen.Choose(0, int.MaxValue) from count in Gen.Choose(1, 6) select (file, seed, count))
        .ToArbitrary();

    /// <summary>
    /// Corpus files with lines deleted, duplicated, swapped or truncated and characters flipped: a description (whose typed
    /// getters do not throw and which round-trips) or a syntax error naming a line, never an exception.
    /// </summary>
    [Property(MaxTest = 600, Arbitrary = new[] { typeof(SdpProperties) })]
    public bool MutatedCorpusNeverThrows((int File, int Seed, int Count) plan)
    {
        var text = Mutate(Corpus[plan.File % Corpus.Length], new Entropy((ulong)plan.Seed), plan.Count);
        return IsSafe(text);
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(SdpProperties) })]
    public bool MutatedCandidatesNeverThrow((int File, int Seed, int Count) plan)
    {
        var e = new Entropy((ulong)plan.Seed);
        var candidates = new[]
        {
            "candidate:3039745631 1 udp 2122260223 127.0.0.1 38375 typ host generation 0 network-id 1 network-cost 50",
            "1853887674 2 udp 1677729535 2001:db8::1:2 61665 typ srflx raddr fe80::1 rport 61665 generation 3 ufrag EEtu",
            "1266942667 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 x-ext 1",
        };
        var chars = candidates[plan.File % candidates.Length].ToCharArray().ToList();
        for (var i = 0; i < plan.Count && chars.Count > 0; i++)
        {
            (var r, e) = e.NextUInt64();
            var at = (int)(r % (ulong)chars.Count);
            switch ((r >> 32) % 3)
            {
                case 0: chars.RemoveAt(at); break;
                case 1: chars[at] = Interesting[(int)((r >> 40) % (ulong)Interesting.Length)]; break;
                default: chars.Insert(at, Interesting[(int)((r >> 40) % (ulong)Interesting.Length)]); break;
            }
        }
        return CandidateNeverThrows(new string(chars.ToArray()));
    }

    private const string Interesting = " \t\r\n:;/.-=0123456789aZ~*\0é";

    private static string Mutate(string text, Entropy e, int count)
    {
        var lines = text.Split('\n').ToList();
        for (var i = 0; i < count && lines.Count > 0; i++)
        {
            (var r, e) = e.NextUInt64();
            var at = (int)(r % (ulong)lines.Count);
            var other = (int)((r >> 20) % (ulong)lines.Count);
            switch ((r >> 40) % 6)
            {
                case 0: lines.RemoveAt(at); break;
                case 1: lines.Insert(at, lines[other]); break;
                case 2: (lines[at], lines[other]) = (lines[other], lines[at]); break;
                case 3: lines[at] = lines[at][..(int)((r >> 48) % (ulong)(lines[at].Length + 1))]; break;
                case 4:
                    if (lines[at].Length > 0)
                    {
                        var chars = lines[at].ToCharArray();
                        chars[(int)((r >> 48) % (ulong)chars.Length)] = Interesting[(int)((r >> 56) % (ulong)Interesting.Length)];
                        lines[at] = new string(chars);
                    }
                    break;
                default:
                    var joined = string.Join('\n', lines);
                    return joined[..(int)((r >> 8) % (ulong)(joined.Length + 1))];
            }
        }
        return string.Join('\n', lines);
    }

    private static bool CandidateNeverThrows(string text) =>
        CandidateAttribute.Parse(text).Match(
            c => CandidateAttribute.Parse(c.ToString()).Match(again => again == c, _ => false),
            e => e is RtcError.Syntax);

    /// <summary>Parses; on success exercises every typed getter and checks the round trip; on failure wants a Syntax error.</summary>
    private static bool IsSafe(string text) =>
        SdpParser.Parse(text).Match(
            d =>
            {
                _ = d.Validate();
                _ = d.Groups().Count + d.MsidSemantics().Count + d.Fingerprints().Count + d.ExtMaps().Count;
                foreach (var m in d.Media)
                {
                    _ = d.IceCredentials(m);
                    _ = d.EffectiveDirection(m);
                    _ = d.EffectiveSetup(m);
                    _ = m.Mid().IsSome | m.HasRtcpMux() | m.HasEndOfCandidates();
                    _ = m.Candidates().Count + m.Fingerprints().Count + m.RtpMaps().Count + m.Fmtps().Map(f => f.Parameters.Count).Sum()
                        + m.RtcpFeedbacks().Count + m.ExtMaps().Count + m.Msids().Count + m.Ssrcs().Count + m.SsrcGroups().Count
                        + m.Rids().Map(r => r.PayloadTypes.Count).Sum() + m.PayloadTypes().Count;
                    _ = m.GetSimulcast().IsSome | m.GetSctpMap().IsSome | m.SctpPort().IsSome | m.MaxMessageSize().IsSome | m.Rtcp().IsSome;
                    _ = m.WithDirection(SdpDirection.Inactive).Direction();
                }
                var printed = SdpWriter.Write(d);
                return SdpParser.Parse(printed).Match(again => again == d, e => throw new Exception($"reparse failed: {e}\n{printed}"));
            },
            e => e is RtcError.Syntax { Line: > 0 } s && s.Message.StartsWith($"line {s.Line}: ", StringComparison.Ordinal)
                 || e is RtcError.Syntax { Line: 0 } && text.Length > SdpParser.MaxLength);
}
