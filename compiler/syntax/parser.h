// Defines the parse phase: the one entry point from .crmx text to our AST.
//
// This header is the whole interface of compiler/syntax/. It includes no ANTLR header: the
// generated parser is an internal library of this folder, and ANTLR exceptions are caught
// inside Parse(). Syntax errors are reported as diagnostics; Parse never throws.
#pragma once

#include <cstdint>
#include <memory>

#include "compiler/ast/ast.h"
#include "compiler/base/source.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::syntax {

struct ParseOptions {
  // Brackets ({ [ ( ) nested deeper than this are refused with E0008, and so are expressions
  // nested deeper (chains of `??`, `?:`, operators): hostile input stays cheap.
  uint32_t max_nesting = 256;
  // After this many syntax errors in one file the parser stops (E0009 follows).
  uint32_t max_errors = 50;
};

// Parses one file. Always returns a Module (possibly with fewer items than the text when
// there were errors); errors and warnings go to `sink`. The Module's spans point into `file`,
// which must outlive it.
std::unique_ptr<ast::Module> Parse(const SourceFile& file, diag::DiagnosticSink& sink,
                                   const ParseOptions& options = {});

// One expression on its own (`crmxc eval`): the grammar's `standaloneExpr`. `expr` is null
// when the text is not an expression (the errors are in `sink`); expression ids are
// 0..expr_count-1. Spans point into `file`, which must outlive the expression.
struct ParsedExpression {
  ast::ExprPtr expr;
  uint32_t expr_count = 0;
};
ParsedExpression ParseExpression(const SourceFile& file, diag::DiagnosticSink& sink, const ParseOptions& options = {});

}  // namespace crmx::syntax
