using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Discovery.Control;

public sealed class ControlDocumentTests
{
    private static DiscoverySnapshot Listing() => Swarm.Snapshot(
        "docker",
        Swarm.Service("web", Swarm.Labels("ingress.publish=8888:80", "ingress.healthcheck.path=/healthz?x=1"), [Swarm.Task("t1", "10.0.1.5", 1), Swarm.Task("t2", "10.0.1.6", 2)]),
        Swarm.Service("api", Swarm.Labels("ingress.host=api.example.com", "ingress.port=5000", "ingress.lb=bogus"), [Swarm.Task("t3", "10.0.1.7", 1) with { NodeId = null, ContainerId = null }], ageRank: 3));

    [Fact]
    public void EncodeDecode_ToSnapshot_GivesBackEveryServiceLabelAndTask()
    {
        var listing = Listing();
        var heard = DateTimeOffset.UtcNow;

        var document = ControlDocument.Decode(ControlDocument.From("e1", 7, "manager-1", listing, sourceFailure: null).Encode());
        var snapshot = document.ToSnapshot("managers", heard);

        Assert.Equal(("e1", 7L, "manager-1"), (document.Epoch, document.Revision, document.Manager));
        Assert.Null(document.SourceFailure);
        Assert.Equal("managers", snapshot.Source);
        Assert.Equal(heard, snapshot.TakenAt);
        Assert.Equal(listing.Services.Select(s => s with { Source = "managers" }), snapshot.Services);
    }

    [Fact]
    public void EncodeDecode_KeepsTheSourceFailure()
    {
        var document = ControlDocument.Decode(ControlDocument.From("e", 1, "m", Listing(), "the Docker API did not answer in time").Encode());

        Assert.Equal("the Docker API did not answer in time", document.SourceFailure);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3, 4 })]
    public void Decode_Garbage_Throws(byte[] garbage)
    {
        Assert.ThrowsAny<Exception>(() => ControlDocument.Decode(garbage));
    }
}
