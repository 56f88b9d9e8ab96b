using Functional.WebRtc.Core.Ice;
using System.Security.Cryptography;
using System.Threading.Channels;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.EventLog;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Runtime;
using LanguageExt;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Functional.WebRtc;

/// <summary>
/// A WebRTC connection to a peer, as Pion's and the browser's RTCPeerConnection. Every call becomes an input to a pure
/// machine run by one loop per connection; events are raised on a separate callback queue, never on that loop, so a
/// handler may call back into the connection (or block) without deadlock.
/// </summary>
public sealed partial class PeerConnection : IDisposable, IAsyncDisposable
{
    private static long _counter;

    private readonly Channel<Work> _inbox = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CallbackDispatcher _callbacks;
    private readonly ILogger _log;
    private readonly Task _loop;
    private readonly TextWriter? _eventLog;
    private readonly Configuration _initialConfiguration;
    private Configuration _configuration;
    private volatile PeerState _state;

    /// <summary>What the loop takes: API calls for the signaling machine, and transport facts.</summary>
    private abstract record Work;
    private sealed record ApiWork(PeerInput Input, TaskCompletionSource<Seq<PeerOutput>>? Reply) : Work;

    /// <summary>Creates a connection with Pion's defaults: no ICE servers, policy all, bundle balanced, rtcp-mux required,
    /// and a new ECDSA P-256 certificate.</summary>
    public PeerConnection(Configuration? configuration = null, SettingEngine? settings = null)
    {
        configuration ??= new Configuration();
        settings ??= new SettingEngine();
        if (configuration.Certificates.Count == 0) configuration = configuration with { Certificates = [Certificate.Generate()] };
        _initialConfiguration = _configuration = configuration;
        Settings = settings;
        Id = $"PeerConnection-{DateTime.UtcNow.Ticks}-{Interlocked.Increment(ref _counter)}";
        _log = (configuration.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PeerConnection>();
        _callbacks = new CallbackDispatcher(_log);
        var seed = settings.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        var config = new PeerConfig(configuration.BundlePolicy, configuration.IceTransportPolicy, configuration.RtcpMuxPolicy,
            configuration.Certificates.Select(c => c.Fingerprint).ToArr(), IceServerUrls(configuration), settings.AnsweringDtlsRole == AnsweringDtlsRole.Passive,
            settings.MediaEngine);
        _state = PeerMachine.Create(config, seed);
        _channels = Core.DataChannels.DataChannelMachine.Create(settings.EffectiveSctp, new Entropy(seed ^ 0x5C7B_5C7B_5C7B_5C7BUL));
        _eventLog = settings.EventLog;
        _eventLog?.WriteLine(EventLog.HeaderLine(EventLogHeader.Of(config, seed)));
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>A unique id for logs.</summary>
    public string Id { get; }
    public SettingEngine Settings { get; }

    // ----- events (raised on the callback queue, in order) -----

    public event Action<SignalingState>? OnSignalingStateChange;
    public event Action<PeerConnectionState>? OnConnectionStateChange;
    public event Action<IceConnectionState>? OnIceConnectionStateChange;
    public event Action? OnNegotiationNeeded;

    // ----- state -----

    public SignalingState SignalingState => _state.Signaling;
    public PeerConnectionState ConnectionState => _state.Connection;
    public IceConnectionState IceConnectionState => _state.Ice;
    public SessionDescription? LocalDescription => WithCandidates(OrNull(_state.LocalDescription));
    public SessionDescription? RemoteDescription => OrNull(_state.RemoteDescription);
    public SessionDescription? CurrentLocalDescription => WithCandidates(OrNull(_state.CurrentLocal));
    public SessionDescription? PendingLocalDescription => WithCandidates(OrNull(_state.PendingLocal));
    public SessionDescription? CurrentRemoteDescription => OrNull(_state.CurrentRemote);
    public SessionDescription? PendingRemoteDescription => OrNull(_state.PendingRemote);

    /// <summary>Whether the remote side can take trickled candidates: null until a remote description is set.</summary>
    public bool? CanTrickleIceCandidates =>
        _state.RemoteDescription.IsNone ? null
        : ((SessionDescription)_state.RemoteDescription).TryUnmarshal().Match(
            sdp => sdp.IceOptions().Contains("trickle") || sdp.Media.Exists(m => m.IceOptions().Contains("trickle")),
            _ => false);

    /// <summary>The state of the pure machine behind this connection (an immutable snapshot).</summary>
    public PeerState Snapshot => _state;

    private static SessionDescription? OrNull(Option<SessionDescription> d) => d.IsSome ? (SessionDescription)d : null;

    // ----- offers, answers, descriptions -----

    public Task<SessionDescription> CreateOfferAsync(OfferOptions? options = null) =>
        DescriptionAsync(new PeerInput.CreateOffer((options?.IceRestart ?? false) | TakeRestartIce()));
    public SessionDescription CreateOffer(OfferOptions? options = null) => CreateOfferAsync(options).GetAwaiter().GetResult();

    public Task<SessionDescription> CreateAnswerAsync(AnswerOptions? options = null) => DescriptionAsync(new PeerInput.CreateAnswer());
    public SessionDescription CreateAnswer(AnswerOptions? options = null) => CreateAnswerAsync(options).GetAwaiter().GetResult();

    public Task SetLocalDescriptionAsync(SessionDescription description) => CallAsync(new PeerInput.SetLocalDescription(description));
    public void SetLocalDescription(SessionDescription description) => SetLocalDescriptionAsync(description).GetAwaiter().GetResult();

    public Task SetRemoteDescriptionAsync(SessionDescription description) => CallAsync(new PeerInput.SetRemoteDescription(description));
    public void SetRemoteDescription(SessionDescription description) => SetRemoteDescriptionAsync(description).GetAwaiter().GetResult();

    // ----- configuration -----

    public Configuration GetConfiguration() => _configuration;

    /// <summary>Updates the configuration; only the ICE servers may change (InvalidModificationError otherwise).</summary>
    public void SetConfiguration(Configuration configuration)
    {
        var certificates = configuration.Certificates.Count == 0 ? _configuration.Certificates : configuration.Certificates;
        if (!certificates.SequenceEqual(_initialConfiguration.Certificates))
            throw new InvalidModificationException(new RtcError.InvalidModification("certificates cannot be changed"));
        CallAsync(new PeerInput.SetConfiguration(IceServerUrls(configuration).ToArray(),
            certificates.Select(c => c.Fingerprint).ToArray(), configuration.BundlePolicy, configuration.IceTransportPolicy,
            configuration.RtcpMuxPolicy)).GetAwaiter().GetResult();
        _configuration = _configuration with { IceServers = configuration.IceServers };
    }

    private static Arr<string> IceServerUrls(Configuration c) =>
        c.IceServers.SelectMany(s => s.Urls.Select(u => s.Username is null ? u : $"{u}|{s.Username}|{s.Credential}")).ToArr();

    // ----- transceivers and data channels -----

    /// <summary>Adds a transceiver of a kind with no track (W3C addTransceiver(kind)).</summary>
    public RtpTransceiver AddTransceiverFromKind(MediaKind kind, Direction direction = Direction.SendRecv)
    {
        var outputs = CallAsync(new PeerInput.AddTransceiver(kind, direction)).GetAwaiter().GetResult();
        return new RtpTransceiver(this, outputs.OfType<PeerOutput.Completed>().First().TransceiverIndex!.Value);
    }

    /// <summary>Adds a sending track (W3C addTrack): reuses a free transceiver of its kind or makes a new one.</summary>
    public RtpTransceiver AddTrack(string trackId, string streamId, MediaKind kind)
    {
        var outputs = CallAsync(new PeerInput.AddTrack(trackId, streamId, kind)).GetAwaiter().GetResult();
        return new RtpTransceiver(this, outputs.OfType<PeerOutput.Completed>().First().TransceiverIndex!.Value);
    }

    public IReadOnlyList<RtpTransceiver> GetTransceivers() => _state.Transceivers.Map(t => new RtpTransceiver(this, t.Index)).ToList();

    internal Transceiver TransceiverState(int index) => _state.Transceivers.Find(t => t.Index == index).IfNone(() =>
        throw new InvalidStateException(new RtcError.InvalidState("the transceiver is gone")));

    internal void Call(PeerInput input) => CallAsync(input).GetAwaiter().GetResult();

    // ----- close -----

    /// <summary>Closes the connection and releases everything it holds; idempotent.</summary>
    public async Task CloseAsync()
    {
        var reply = new TaskCompletionSource<Seq<PeerOutput>>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_inbox.Writer.TryWrite(new ApiWork(new PeerInput.Close(), reply))) await reply.Task.ConfigureAwait(false);
        _inbox.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        if (!_callbacks.IsCurrent) await _callbacks.CompleteAsync().ConfigureAwait(false);
        else _ = _callbacks.CompleteAsync();
    }

    public void Close() => CloseAsync().GetAwaiter().GetResult();
    public void Dispose() => Close();
    public ValueTask DisposeAsync() => new(CloseAsync());

    // ----- the loop -----

    private async Task<SessionDescription> DescriptionAsync(PeerInput input)
    {
        var outputs = await CallAsync(input).ConfigureAwait(false);
        return outputs.OfType<PeerOutput.Completed>().First().Description!;
    }

    private async Task<Seq<PeerOutput>> CallAsync(PeerInput input)
    {
        var reply = new TaskCompletionSource<Seq<PeerOutput>>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inbox.Writer.TryWrite(new ApiWork(input, reply)))
            throw new InvalidStateException(new RtcError.InvalidState("the connection is closed"));
        var outputs = await reply.Task.ConfigureAwait(false);
        foreach (var failed in outputs.OfType<PeerOutput.Failed>()) throw RtcException.From(failed.Error);
        return outputs;
    }

    private void Post(Work work) => _inbox.Writer.TryWrite(work);

    /// <summary>Runs one input through the signaling machine on the loop and performs its outputs.</summary>
    private Seq<PeerOutput> Step(PeerInput input)
    {
        var step = PeerMachine.Handle(_state, input);
        _state = step.State;
        _eventLog?.WriteLine(input.ToJson());
        Perform(step.Outputs);
        return step.Outputs;
    }

    private async Task LoopAsync()
    {
        await foreach (var work in _inbox.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (work is ApiWork api)
            {
                Seq<PeerOutput> outputs;
                try { outputs = Step(api.Input); }
                catch (Exception e)
                {
                    // A defect in a reducer, not the caller's input: the state is unchanged (the step did not complete)
                    // and the call fails with a typed OperationError that keeps the cause.
                    _log.LogError(e, "the connection's loop failed on {Input}", api.Input);
                    api.Reply?.TrySetException(new OperationErrorException(new RtcError.Operation($"{api.Input.GetType().Name} failed: {e.Message}")));
                    continue;
                }
                api.Reply?.TrySetResult(outputs);
                if (api.Input is PeerInput.Close) _inbox.Writer.TryComplete();
            }
            else
            {
                try { HandleTransport(work); }
                catch (Exception e) { _log.LogError(e, "the connection's loop failed on {Work}", work.GetType().Name); }
            }
        }
        _eventLog?.Flush();
    }

    private void Perform(Seq<PeerOutput> outputs)
    {
        foreach (var output in outputs)
        {
            switch (output)
            {
                case PeerOutput.SignalingStateChanged s:
                    _log.LogDebug("{Id} signaling state changed to {State}", Id, s.State.ToText());
                    Raise(() => OnSignalingStateChange?.Invoke(s.State));
                    break;
                case PeerOutput.ConnectionStateChanged c:
                    Raise(() => OnConnectionStateChange?.Invoke(c.State));
                    break;
                case PeerOutput.IceConnectionStateChanged c:
                    Raise(() => OnIceConnectionStateChange?.Invoke(c.State));
                    break;
                case PeerOutput.NegotiationNeeded:
                    Raise(() => OnNegotiationNeeded?.Invoke());
                    break;
                default:
                    PerformTransport(output);
                    break;
            }
        }
    }

    private void Raise(Action handler) => _callbacks.Post(handler);

    /// <summary>Transport outputs of the signaling machine: performed by the transport part of the shell.</summary>
    partial void PerformTransport(PeerOutput output);

    /// <summary>Transport facts (datagrams, timers, DTLS and SCTP events) that arrive on the loop.</summary>
    partial void HandleTransport(Work work);
}

/// <summary>A handle on one transceiver of a connection (W3C RTCRtpTransceiver).</summary>
public sealed partial class RtpTransceiver
{
    private readonly PeerConnection _pc;
    internal RtpTransceiver(PeerConnection pc, int index) { _pc = pc; Index = index; }

    internal int Index { get; }
    private Transceiver State => _pc.TransceiverState(Index);

    public string? Mid => State.Mid.IsSome ? (string)State.Mid : null;
    public MediaKind Kind => State.Kind;
    public Direction Direction => State.Direction;
    public Direction? CurrentDirection => State.CurrentDirection.IsSome ? (Direction)State.CurrentDirection : null;
    public bool Stopped => State.Stopped;
    public uint SenderSsrc => State.Ssrc;

    public void SetDirection(Direction direction) => _pc.Call(new PeerInput.SetDirection(Index, direction));
    public void Stop() => _pc.Call(new PeerInput.StopTransceiver(Index));
    /// <summary>Stops sending the track (W3C removeTrack on this transceiver's sender).</summary>
    public void RemoveTrack() => _pc.Call(new PeerInput.RemoveTrack(Index));

    public override bool Equals(object? obj) => obj is RtpTransceiver t && t._pc == _pc && t.Index == Index;
    public override int GetHashCode() => Index;
}
