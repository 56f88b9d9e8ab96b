using Functional.WebRtc.Core.Ice;
using System.Text.Json;
using System.Text.Json.Serialization;
using Functional.WebRtc.Core.PeerConnection;
using LanguageExt;

namespace Functional.WebRtc.Core.EventLog;

/// <summary>The first line of an event log: what the machine was created from.</summary>
public sealed record EventLogHeader(
    [property: JsonPropertyName("event-log")] int Version,
    [property: JsonPropertyName("seed")] ulong Seed,
    [property: JsonPropertyName("fingerprints")] string[] Fingerprints,
    [property: JsonPropertyName("bundle-policy")] BundlePolicy BundlePolicy,
    [property: JsonPropertyName("ice-transport-policy")] IceTransportPolicy IceTransportPolicy,
    [property: JsonPropertyName("answer-passive")] bool AnswerPassive,
    [property: JsonPropertyName("ice-servers")] string[] IceServers)
{
    public static EventLogHeader Of(PeerConfig config, ulong seed) =>
        new(1, seed, config.Fingerprints.ToArray(), config.BundlePolicy, config.IceTransportPolicy, config.AnswerPassive, config.IceServers.ToArray());

    /// <summary>The configuration the log was recorded with (the default media engine).</summary>
    public PeerConfig Config => PeerConfig.Default(Fingerprints.FirstOrDefault() ?? "") with
    {
        Fingerprints = Fingerprints.ToArr(),
        BundlePolicy = BundlePolicy,
        IceTransportPolicy = IceTransportPolicy,
        AnswerPassive = AnswerPassive,
        IceServers = IceServers.ToArr(),
    };
}

/// <summary>
/// Record and replay: a connection's run is its header plus its inputs, one JSON object a line. Replaying folds the
/// inputs through the reducer and gives the same states and outputs as the run that wrote them.
/// </summary>
public static class EventLog
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) } };

    public static string HeaderLine(EventLogHeader header) => JsonSerializer.Serialize(header, Json);

    public static IEnumerable<string> Record(EventLogHeader header, IEnumerable<PeerInput> inputs) =>
        inputs.Select(i => i.ToJson()).Prepend(HeaderLine(header));

    /// <summary>Every step of the recorded run, in order.</summary>
    public static Either<RtcError, Seq<Step<PeerState, PeerOutput>>> Replay(IEnumerable<string> lines)
    {
        using var e = lines.GetEnumerator();
        if (!e.MoveNext()) return new RtcError.Syntax("an event log starts with its header line", 1);
        EventLogHeader? header;
        try { header = JsonSerializer.Deserialize<EventLogHeader>(e.Current, Json); }
        catch (JsonException ex) { return new RtcError.Syntax($"bad header: {ex.Message}", 1); }
        if (header is null || header.Version != 1) return new RtcError.Syntax("unknown event-log version", 1);
        var state = PeerMachine.Create(header.Config, header.Seed);
        var steps = new List<Step<PeerState, PeerOutput>>();
        var line = 1;
        while (e.MoveNext())
        {
            line++;
            if (string.IsNullOrWhiteSpace(e.Current)) continue;
            PeerInput input;
            try { input = PeerInput.FromJson(e.Current); }
            catch (JsonException ex) { return new RtcError.Syntax($"line {line}: {ex.Message}", line); }
            var step = PeerMachine.Handle(state, input);
            steps.Add(step);
            state = step.State;
        }
        return steps.ToSeq();
    }
}
