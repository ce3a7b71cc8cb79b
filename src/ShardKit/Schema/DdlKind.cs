namespace ShardKit.Schema;

/// <summary>A statement's kind for the online rules.</summary>
internal enum DdlKind
{
    /// <summary>Not a table change the rules apply to; runs as written.</summary>
    Other,

    /// <summary><c>ALTER TABLE</c>.</summary>
    AlterTable,

    /// <summary><c>CREATE INDEX</c> or <c>DROP INDEX</c> (an <c>ALTER TABLE</c> in disguise).</summary>
    Index,
}
