CREATE TABLE "compliance_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"message_id" bigint NOT NULL,
	"conversation_id" bigint NOT NULL,
	"policy_id" text NOT NULL,
	"policy_version" integer NOT NULL,
	"severity" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"transitions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"slack_channel" text,
	"slack_ts" text,
	"salesforce_task_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "compliance_scans" (
	"message_id" bigint PRIMARY KEY NOT NULL,
	"body_hash" text NOT NULL,
	"policies_hash" text NOT NULL,
	"scanned_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "compliance_alerts" ADD CONSTRAINT "compliance_alerts_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_alerts" ADD CONSTRAINT "compliance_alerts_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_scans" ADD CONSTRAINT "compliance_scans_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "compliance_alerts_message_policy_idx" ON "compliance_alerts" USING btree ("message_id","policy_id");--> statement-breakpoint
CREATE INDEX "compliance_alerts_status_idx" ON "compliance_alerts" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "compliance_alerts_conversation_idx" ON "compliance_alerts" USING btree ("conversation_id");