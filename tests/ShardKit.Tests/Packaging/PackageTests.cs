using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;

namespace ShardKit.Tests.Packaging;

/// <summary>What a user looks for on a package page and in a package, for every package the repository ships.</summary>
[Collection("Packages")]
public sealed class PackageTests(PackedPackages packages)
{
    public static TheoryData<string> PackageIds => new() { "ShardKit", "ShardKit.Testing", "ShardKit.Migrations" };

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void EveryPackageCarriesDescriptionReadmeLicenceRepositoryCommitCopyrightTagsAndReleaseNotes(string id)
    {
        using var package = ZipFile.OpenRead(packages.Package(id));
        var metadata = Nuspec(package, id);

        Assert.False(string.IsNullOrWhiteSpace(Element(metadata, "description")), "description");
        Assert.False(string.IsNullOrWhiteSpace(Element(metadata, "authors")), "authors");
        Assert.StartsWith("Copyright", Element(metadata, "copyright"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(Element(metadata, "tags")), "tags");
        Assert.False(string.IsNullOrWhiteSpace(Element(metadata, "releaseNotes")), "releaseNotes");

        Assert.Equal("README.md", Element(metadata, "readme"));
        var readme = Text(package, "README.md");
        Assert.Contains("dotnet ", readme, StringComparison.Ordinal);

        var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);
        Assert.StartsWith("MIT License", Text(package, "LICENSE"), StringComparison.Ordinal);

        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
        if (repository.Attribute("url")?.Value is { } url)
        {
            Assert.StartsWith("https://", url, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void VersionsComeFromGitTagsNotAHardCodedNumber(string id)
    {
        using var package = ZipFile.OpenRead(packages.Package(id));
        var version = Element(Nuspec(package, id), "version");

        Assert.NotEqual("0.1.0", version);
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$", version);
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void EveryPackageHasASymbolPackageWithPortablePdbsThatMapTheSources(string id)
    {
        using var symbols = ZipFile.OpenRead(packages.Package(id, ".snupkg"));
        var pdb = symbols.Entries.Single(e => e.FullName.EndsWith("/" + id + ".pdb", StringComparison.Ordinal));
        using var stream = new MemoryStream();
        using (var entry = pdb.Open())
        {
            entry.CopyTo(stream);
        }

        stream.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        var reader = provider.GetMetadataReader();
        Assert.NotEmpty(reader.Documents);

        // The assembly in the package names this PDB (same ID), so debuggers find it on a symbol server.
        using var package = ZipFile.OpenRead(packages.Package(id));
        var dll = package.Entries.Single(e => e.FullName.EndsWith("/" + id + ".dll", StringComparison.Ordinal));
        using var dllStream = new MemoryStream();
        using (var entry = dll.Open())
        {
            entry.CopyTo(dllStream);
        }

        dllStream.Position = 0;
        using var pe = new PEReader(dllStream);
        var codeView = pe.ReadDebugDirectory().Single(d => d.Type == DebugDirectoryEntryType.CodeView);
        Assert.Equal(new BlobContentId(reader.DebugMetadataHeader!.Id).Guid, pe.ReadCodeViewDebugDirectoryData(codeView).Guid);
    }

    [Fact]
    public void TheToolPackageIsTheShardkitCommandAndNeedsOnlyTheDotnetRuntime()
    {
        using var package = ZipFile.OpenRead(packages.Package("ShardKit.Migrations"));

        Assert.Contains("packageType name=\"DotnetTool\"", Text(package, "ShardKit.Migrations.nuspec"), StringComparison.Ordinal);
        Assert.Contains("Command Name=\"shardkit\"", Text(package, "tools/net10.0/any/DotnetToolSettings.xml"), StringComparison.Ordinal);
        Assert.DoesNotContain(package.Entries, e => e.Name.StartsWith("OrderService", StringComparison.Ordinal) || e.Name == "appsettings.json");
        using var runtimeConfig = JsonDocument.Parse(Text(package, "tools/net10.0/any/ShardKit.Migrations.runtimeconfig.json"));
        var options = runtimeConfig.RootElement.GetProperty("runtimeOptions");
        Assert.False(options.TryGetProperty("frameworks", out _), "the tool names more than one framework");
        Assert.Equal("Microsoft.NETCore.App", options.GetProperty("framework").GetProperty("name").GetString());
    }

    private static XElement Nuspec(ZipArchive package, string id) =>
        XDocument.Parse(Text(package, id + ".nuspec")).Root!.Elements().Single(e => e.Name.LocalName == "metadata");

    private static string Element(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";

    private static string Text(ZipArchive package, string path)
    {
        var entry = package.GetEntry(path) ?? throw new InvalidOperationException($"The package has no {path}: {string.Join(", ", package.Entries.Select(e => e.FullName))}");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }
}
