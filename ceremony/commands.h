/* commands.h: the subcommands of `keyport`, each returning an exit code (io.h). */
#ifndef KP_CLI_COMMANDS_H
#define KP_CLI_COMMANDS_H

#include "keyport.h"

int kp_cmd_export_init(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_export_recover(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_import_prepare(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_demo(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_operator(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_policy(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_approve(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_approvals(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_audit(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_api(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_credential(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_key(kp_ctx *ctx, int argc, char **argv);
int kp_cmd_qr(kp_ctx *ctx, int argc, char **argv);

#endif
